// Thread names (native/thread_name.h): setThreadName's argument errors are JS errors of the right
// class, and ONNX Runtime's own threads come out named "ig-ort", so that the bench can split the
// server's CPU by thread (bench/loadgen/cpu-sample.ts). The names are Linux's /proc comm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Session, setThreadName } from '../../src/runtime/index.js';
import { identityModel } from '../fixtures/runtime-models.js';

const HAS_PROC = existsSync('/proc/self/task');

function threadNames(): string[] {
  const out: string[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.push(readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

test('setThreadName refuses a non-string with TypeError and an empty or over-15-byte name with RangeError', () => {
  assert.throws(() => setThreadName(7 as unknown as string), (e: unknown) => e instanceof TypeError && /name must be a string \(got number\)/.test((e as Error).message));
  assert.throws(() => setThreadName(''), (e: unknown) => e instanceof RangeError && /1 to 15 bytes \(got 0\)/.test((e as Error).message));
  assert.throws(() => setThreadName('x'.repeat(16)), (e: unknown) => e instanceof RangeError && /got 16/.test((e as Error).message));
});

test('a worker thread that names itself shows under that name in /proc', { skip: HAS_PROC ? false : 'no /proc/self/task on this platform' }, async () => {
  const runtime = new URL('../../src/runtime/index.js', import.meta.url).href;
  const w = new Worker(`import { setThreadName } from ${JSON.stringify(runtime)};
    import { parentPort } from 'node:worker_threads';
    parentPort.postMessage(setThreadName('ig-test-named'));
    parentPort.once('message', () => process.exit(0));`, { eval: true, type: 'module' } as never);
  try {
    const named = await new Promise<unknown>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    assert.equal(named, true);
    assert.ok(threadNames().includes('ig-test-named'), `threads: ${threadNames().join(', ')}`);
  } finally {
    w.postMessage('done');
    await new Promise((r) => w.once('exit', r));
  }
});

test('a session with 3 intra-op threads creates its pool threads as "ig-ort" and joins them at unload', { skip: HAS_PROC ? false : 'no /proc/self/task on this platform' }, () => {
  const ort = (): number => threadNames().filter((n) => n === 'ig-ort').length;
  const before = ort();
  const s = Session.load(identityModel('float32'), { intraOpThreads: 3, key: 'thread-name-ort' });
  // ORT's pool holds one thread fewer than intra-op threads: the caller's thread is the other.
  assert.equal(ort(), before + 2, `threads: ${threadNames().join(', ')}`);
  s.unload(); // the last reference: ORT joins its threads through JoinOrtThread
  assert.equal(ort(), before, `threads after unload: ${threadNames().join(', ')}`);
});

// One ORT session per model per process: worker threads loading the same model share it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Session, registryStats } from '../../src/runtime/index.js';
import { bigEmbeddingModel, identityModel, slowModel } from '../fixtures/runtime-models.js';

const WORKER_URL = new URL('../fixtures/registry-worker.js', import.meta.url);

interface Reply { type: string; key?: string; stats?: ReturnType<typeof registryStats>; message?: string; shape?: number[]; first?: number }

async function ask(w: Worker, msg: object, expect: string): Promise<Reply> {
  const reply = once(w, 'message') as Promise<[Reply]>;
  w.postMessage(msg);
  const [r] = await reply;
  if (r.type !== expect) throw new Error(`worker answered ${r.type}: ${r.message ?? ''}`);
  return r;
}

async function startWorker(): Promise<Worker> {
  const w = new Worker(WORKER_URL);
  const [r] = (await once(w, 'message')) as [Reply];
  assert.equal(r.type, 'ready');
  return w;
}

test('4 worker threads loading one model share one session; RSS grows by about one model', async () => {
  const path = bigEmbeddingModel();
  const modelBytes = statSync(path).size;
  const workers = await Promise.all([0, 1, 2, 3].map(startWorker));
  try {
    // Page in ORT's session-creation code first, so the growth measured below is the model's.
    Session.load(identityModel('float32')).unload();
    const rssBefore = process.memoryUsage().rss;
    const loaded = await Promise.all(workers.map((w) => ask(w, { cmd: 'load', path }, 'loaded')));
    const rssAfter = process.memoryUsage().rss;
    const key = loaded[0]!.key!;
    assert.ok(loaded.every((r) => r.key === key));
    const stats = registryStats();
    assert.equal(stats.sessions, 1);
    assert.equal(stats.refs[key], 4);
    const growth = rssAfter - rssBefore;
    console.log(`RSS growth for 4 loads: ${(growth / 1e6).toFixed(1)} MB (model ${(modelBytes / 1e6).toFixed(1)} MB)`);
    assert.ok(growth < 2 * modelBytes, `RSS grew ${(growth / 1e6).toFixed(1)} MB for a ${(modelBytes / 1e6).toFixed(1)} MB model loaded by 4 workers`);
    const runs = await Promise.all(workers.map((w) => ask(w, { cmd: 'run' }, 'ran')));
    assert.ok(runs.every((r) => r.first === runs[0]!.first && r.shape!.join() === '2,1000'));
    // The main thread joins the same session too.
    const mine = Session.load(path);
    assert.equal(registryStats().refs[key], 5);
    mine.unload();
    for (const [i, w] of workers.entries()) {
      const r = await ask(w, { cmd: 'unload' }, 'unloaded');
      assert.equal(r.stats!.refs[key], i === 3 ? undefined : 3 - i);
    }
    assert.equal(registryStats().sessions, 0);
    assert.equal(registryStats().refs[key], undefined);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
});

test('a worker that exits without unload() gives its reference back', async () => {
  const path = bigEmbeddingModel();
  const w = await startWorker();
  const { key } = await ask(w, { cmd: 'load', path }, 'loaded');
  assert.equal(registryStats().refs[key!], 1);
  w.postMessage({ cmd: 'exit' });
  await once(w, 'exit');
  assert.equal(registryStats().refs[key!], undefined);
  assert.equal(registryStats().sessions, 0);
});

test('terminating a worker with runs and a load in flight neither crashes nor leaks references', async () => {
  for (let i = 0; i < 3; i++) {
    const w = await startWorker();
    await ask(w, { cmd: 'busy', slowPath: slowModel(), path: bigEmbeddingModel() }, 'busy');
    await new Promise((r) => setTimeout(r, 15 * i));
    await w.terminate();
  }
  // In-flight jobs hold the session until they finish; give them a moment, then nothing is left.
  for (let waitedMs = 0; registryStats().sessions > 0 && waitedMs < 5000; waitedMs += 50) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(registryStats(), { sessions: 0, refs: {} });
});

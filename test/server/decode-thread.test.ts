// The decode thread's bound on waiting bytes (decode-thread.ts, docs/decisions/015): bodies
// handed to the thread (whole or streamed) and not yet answered hold at most maxWaitingBytes
// (default 256 MiB); beyond it a body is refused with a retryable IG_QUEUE_FULL, and a refused,
// answered or abandoned body gives its bytes back. Also: a streamed body (segments on a port of
// its own) decodes exactly as the same bytes sent whole.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeThread, MAX_WAITING_BYTES, SEGMENT_BYTES } from '../../src/server/decode-thread.js';
import { DEFAULT_JSON_LIMITS } from '../../src/protocol/json-limits.js';
import { InferError } from '../../src/core/errors.js';
import { objectsBody } from '../../bench/hostile/raw-http.js';

const MIB = 1024 * 1024;
const threads: DecodeThread[] = [];
after(async () => {
  for (const t of threads) await t.close();
});

function thread(maxWaitingBytes?: number): DecodeThread {
  const t = new DecodeThread(maxWaitingBytes === undefined ? {} : { maxWaitingBytes });
  threads.push(t);
  return t;
}

/** A copy of `bytes` in a fresh buffer (decode() gives its body's buffer away). */
const fresh = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

function validJson(rows: number): Uint8Array {
  const data = Array.from({ length: rows * 4 }, (_, i) => (i % 97) / 8);
  return new TextEncoder().encode(JSON.stringify({ id: 'r', inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 4], data }] }));
}

function code(e: unknown): string {
  return e instanceof InferError ? e.code : String(e);
}

test('the default bound is 256 MiB, counted over streamed bodies', () => {
  assert.equal(MAX_WAITING_BYTES, 256 * MIB);
  const t = thread();
  // Streams reserve their Content-Length at open(); nothing is allocated on this thread.
  const a = t.open(200 * MIB);
  assert.ok(a, 'one body is let in');
  assert.equal(t.open(100 * MIB), undefined, '300 MiB waiting would exceed 256 MiB');
  const b = t.open(56 * MIB);
  assert.ok(b, '256 MiB in all is within the bound');
  assert.equal(t.open(1), undefined);
  a.drop();
  b.drop();
  assert.equal(t.waiting, 0);
  const c = t.open(256 * MIB);
  assert.ok(c, 'dropped bodies gave their bytes back');
  c.drop();
});

test('bodies beyond the bound are refused with IG_QUEUE_FULL (retryable); answered ones give their bytes back', async () => {
  const t = thread(5 * MIB);
  const body = objectsBody(2 * MIB); // refused by the thread's scan (400): an answer all the same
  const results = await Promise.allSettled([0, 1, 2].map(() => t.decode('json', fresh(body), 0, 'm', '', DEFAULT_JSON_LIMITS)));
  assert.deepEqual(results.map((r) => (r.status === 'rejected' ? code(r.reason) : 'ok')), ['IG_BAD_REQUEST', 'IG_BAD_REQUEST', 'IG_QUEUE_FULL']);
  const full = (results[2] as PromiseRejectedResult).reason as InferError;
  assert.equal(full.status, 503);
  assert.equal(full.retryAfterS, 1);
  assert.equal(t.waiting, 0);
  // Whole and streamed bodies share the bound.
  const s = t.open(4 * MIB);
  assert.ok(s);
  await assert.rejects(t.decode('json', fresh(body), 0, 'm', '', DEFAULT_JSON_LIMITS), (e) => code(e) === 'IG_QUEUE_FULL');
  s.drop();
  await assert.rejects(t.decode('json', fresh(body), 0, 'm', '', DEFAULT_JSON_LIMITS), (e) => code(e) === 'IG_BAD_REQUEST');
  assert.equal(t.waiting, 0);
});

test('one body larger than the bound is let in when nothing waits', async () => {
  const t = thread(1 * MIB);
  const req = await t.decode('json', validJson(50_000), 0, 'm', '', DEFAULT_JSON_LIMITS);
  assert.deepEqual(req.inputs[0]!.shape, [50_000, 4]);
});

test('a streamed body decodes exactly as the same bytes sent whole, in segments of any size', async () => {
  const t = thread();
  const json = validJson(40_000); // ~1.3 MB
  const whole = await t.decode('json', fresh(json), 0, 'm', '', DEFAULT_JSON_LIMITS);
  for (const segment of [SEGMENT_BYTES, 1024 * 1024, 777_777]) {
    const s = t.open(json.byteLength)!;
    for (let at = 0; at < json.byteLength; at += segment) s.push(fresh(json.subarray(at, at + segment)));
    const streamed = await s.decode('m', '', DEFAULT_JSON_LIMITS);
    assert.deepEqual(streamed.inputs[0]!.shape, whole.inputs[0]!.shape);
    assert.deepEqual(Array.from(streamed.inputs[0]!.data), Array.from(whole.inputs[0]!.data));
    assert.equal(streamed.id, 'r');
  }
  assert.equal(t.waiting, 0);
});

test('a streamed hostile body is refused by the scan (400), and the thread serves the next', async () => {
  const t = thread();
  const body = objectsBody(8 * MIB);
  const s = t.open(body.byteLength)!;
  for (let at = 0; at < body.byteLength; at += SEGMENT_BYTES) s.push(fresh(body.subarray(at, at + SEGMENT_BYTES)));
  await assert.rejects(s.decode('m', '', DEFAULT_JSON_LIMITS), (e) => code(e) === 'IG_BAD_REQUEST');
  // An abandoned stream (client gone mid-body) is let go; the thread goes on.
  const gone = t.open(body.byteLength)!;
  gone.push(fresh(body.subarray(0, SEGMENT_BYTES)));
  gone.drop();
  assert.equal(t.waiting, 0);
  const req = await t.decode('json', validJson(30_000), 0, 'm', '', DEFAULT_JSON_LIMITS);
  assert.deepEqual(req.inputs[0]!.shape, [30_000, 4]);
});

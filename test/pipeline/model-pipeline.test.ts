// The request path (validate -> admit -> batch -> execute -> split -> answer) over a fake
// executor: no sockets, no addon, no threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelPipeline, type PipelineSpec } from '../../src/pipeline/model-pipeline.js';
import { InferError } from '../../src/core/errors.js';
import type { InferRequest } from '../../src/core/types.js';
import { SabPool } from '../../src/batching/index.js';
import { createGatewayMetrics } from '../../src/observability/gateway-metrics.js';
import { FakeExecutor } from './fake-executor.js';

const FEATURES = 4;

function pipeline(over: Partial<PipelineSpec> = {}, executor = new FakeExecutor()): { p: ModelPipeline; ex: FakeExecutor } {
  const spec: PipelineSpec = {
    name: 'm', version: '1',
    ref: { id: 'm@1#1', source: '/nowhere/model.onnx', options: {} },
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, FEATURES] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, FEATURES] }],
    maxBatchSize: 8,
    batching: { maxQueueDelayUs: 0 },
    ...over,
  };
  return { p: new ModelPipeline(spec, { executor, metrics: createGatewayMetrics(), sabPool: new SabPool() }), ex: executor };
}

/** A request of `rows` rows whose values are start, start+1, ... */
function request(rows: number, start = 0, extra: Partial<InferRequest> = {}): InferRequest {
  const data = Float32Array.from({ length: rows * FEATURES }, (_, i) => start + i);
  return {
    modelName: 'm', modelVersion: '', id: `r${start}`, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, FEATURES], data: new Uint8Array(data.buffer) }],
    ...extra,
  };
}

function values(resp: { outputs: { data: Uint8Array }[] }): number[] {
  const d = resp.outputs[0]!.data;
  return [...new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength))];
}

async function rejection(p: Promise<unknown>): Promise<InferError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof InferError, `expected an InferError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

test('validation refuses bad requests with their own codes, before anything is queued or run', async () => {
  const { p, ex } = pipeline();
  const cases: [InferRequest, string][] = [
    [request(1, 0, { inputs: [] }), 'IG_MISSING_INPUT'],
    [{ ...request(1), inputs: [{ name: 'z', datatype: 'FP32', shape: [1, FEATURES], data: new Uint8Array(16) }] }, 'IG_UNKNOWN_INPUT'],
    [{ ...request(1), inputs: [{ name: 'x', datatype: 'INT32', shape: [1, FEATURES], data: new Uint8Array(16) }] }, 'IG_DTYPE_MISMATCH'],
    [{ ...request(1), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, FEATURES + 1], data: new Uint8Array(20) }] }, 'IG_SHAPE_MISMATCH'],
    [{ ...request(1), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, FEATURES], data: new Uint8Array(15) }] }, 'IG_BAD_TENSOR'],
    [request(1, 0, { outputs: [{ name: 'nope' }] }), 'IG_UNKNOWN_OUTPUT'],
  ];
  for (const [req, code] of cases) assert.equal((await rejection(p.infer(req, undefined, 0))).code, code);
  assert.equal(ex.tasks.length, 0);
  assert.equal(ex.arrivals, 0);
});

test('concurrent requests join one batch and each gets exactly its own rows back', async () => {
  const { p, ex } = pipeline();
  const answers = await Promise.all([p.infer(request(1, 0), undefined, 0), p.infer(request(2, 100), undefined, 0), p.infer(request(3, 200), undefined, 0)]);
  assert.equal(ex.tasks.length, 1, 'one batch for one event-loop turn');
  assert.equal(ex.tasks[0]!.rows, 6);
  assert.deepEqual(values(answers[0]!), Array.from({ length: 4 }, (_, i) => 2 * i));
  assert.deepEqual(values(answers[1]!), Array.from({ length: 8 }, (_, i) => 2 * (100 + i)));
  assert.deepEqual(values(answers[2]!), Array.from({ length: 12 }, (_, i) => 2 * (200 + i)));
  assert.deepEqual(answers[2]!.outputs[0]!.shape, [3, FEATURES]);
  assert.equal(ex.arrivals, 3);
  assert.equal(ex.done, 3);
});

test('a request larger than the max batch is split into runs and joined back in order', async () => {
  const { p, ex } = pipeline({ maxBatchSize: 4 });
  const resp = await p.infer(request(10, 0), undefined, 0);
  assert.deepEqual(ex.tasks.map((t) => t.rows).sort(), [2, 4, 4]);
  assert.deepEqual(values(resp), Array.from({ length: 40 }, (_, i) => 2 * i));
  assert.deepEqual(resp.outputs[0]!.shape, [10, FEATURES]);
});

test('a full queue sheds at once with a retryable code and Retry-After', async () => {
  const ex = new FakeExecutor();
  ex.idle = 0; // no capacity: requests stay queued
  const { p } = pipeline({ batching: { maxQueueDelayUs: 0, maxQueueSize: 2 } }, ex);
  const queued = [p.infer(request(1), undefined, 0), p.infer(request(1), undefined, 0)];
  const e = await rejection(p.infer(request(1), undefined, 0));
  assert.equal(e.code, 'IG_QUEUE_FULL');
  assert.equal(e.status, 503);
  assert.equal(e.retryAfterS, 1);
  ex.idle = 1; // close() flushes the queue now that a worker is free
  const close = p.close();
  await Promise.all([...queued, close]);
});

test('native error codes reach the caller: a coded RangeError keeps its code, across a worker hop too', async () => {
  const { p, ex } = pipeline();
  const direct = Object.assign(new RangeError("input 'x': shape refused"), { code: 'IG_SHAPE_MISMATCH' });
  ex.failWhen = () => direct;
  let e = await rejection(p.infer(request(1), undefined, 0));
  assert.equal(e.code, 'IG_SHAPE_MISMATCH');
  assert.equal(e.status, 400);
  // What a worker's error looks like after structured clone: the code travels as cause.code.
  const cloned = new RangeError('cloned', { cause: { code: 'IG_DTYPE_MISMATCH' } });
  ex.failWhen = () => cloned;
  e = await rejection(p.infer(request(1), undefined, 0));
  assert.equal(e.code, 'IG_DTYPE_MISMATCH');
  // A run failure (ORT's own error) and an error without a code name the model, as a 500.
  for (const thrown of [Object.assign(new Error('Gather: index out of range'), { code: 'IG_INFERENCE_FAILED' }), new Error('boom')]) {
    ex.failWhen = () => thrown;
    e = await rejection(p.infer(request(1), undefined, 0));
    assert.equal(e.code, 'IG_INFERENCE_FAILED');
    assert.match(e.message, /^model "m": /);
  }
});

test('a request that breaks its batch fails alone; the others in the batch are answered', async () => {
  const { p, ex } = pipeline();
  ex.failWhen = (v) => (v.includes(666) ? new Error('bad row') : undefined);
  const [a, b, c] = await Promise.allSettled([
    p.infer(request(1, 0), undefined, 0), p.infer(request(1, 666), undefined, 0), p.infer(request(1, 10), undefined, 0),
  ]);
  assert.equal(a.status, 'fulfilled');
  assert.equal(c.status, 'fulfilled');
  assert.equal(b.status, 'rejected');
  assert.equal((b.reason as InferError).code, 'IG_INFERENCE_FAILED');
  assert.deepEqual(values((c as PromiseFulfilledResult<Awaited<ReturnType<ModelPipeline['infer']>>>).value), [20, 22, 24, 26]);
  assert.equal(ex.tasks.length, 4, 'one batch of 3, then each request alone');
});

test('a request cancelled while its batch ran is not run again when the batch is split up (its body may be reused)', async () => {
  const { p, ex } = pipeline();
  ex.failWhen = (v) => (v.length > FEATURES ? new Error('the batch breaks') : undefined);
  const ac = new AbortController();
  const all = Promise.allSettled([
    p.infer(request(1, 0), undefined, 0), p.infer(request(1, 100), ac.signal, 0), p.infer(request(1, 10), undefined, 0),
  ]);
  // Queued after the batcher's dispatch turn: the batch of 3 is running when the client leaves.
  setImmediate(() => ac.abort());
  const [a, b, c] = await all;
  assert.equal(a.status, 'fulfilled');
  assert.equal(c.status, 'fulfilled');
  assert.equal(b.status, 'rejected');
  assert.equal((b.reason as InferError).code, 'IG_CANCELLED');
  assert.equal(ex.tasks.length, 3, 'one batch of 3, then the two live requests alone');
  assert.ok(ex.tasks.every((t) => !t.values.includes(100) || t.rows === 3), 'the cancelled request ran only in the first batch');
});

test('without batching (max batch 0) each request runs alone with its own shape', async () => {
  const { p, ex } = pipeline({
    maxBatchSize: 0, batching: { maxQueueDelayUs: 0 },
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2, FEATURES] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [2, FEATURES] }],
  });
  const [r1, r2] = await Promise.all([p.infer(request(2, 0), undefined, 0), p.infer(request(2, 50), undefined, 0)]);
  assert.equal(ex.tasks.length, 2);
  assert.deepEqual(ex.tasks.map((t) => t.task.inputs[0]!.shape), [[2, FEATURES], [2, FEATURES]]);
  assert.deepEqual(values(r2!), Array.from({ length: 8 }, (_, i) => 2 * (50 + i)));
  assert.equal(values(r1!).length, 8);
});

test('after close, new requests are refused and queued ones finish', async () => {
  const { p } = pipeline();
  const pending = p.infer(request(1, 3), undefined, 0);
  const closed = p.close();
  const e = await rejection(p.infer(request(1), undefined, 0));
  assert.equal(e.code, 'IG_SHUTTING_DOWN');
  assert.deepEqual(values(await pending), [6, 8, 10, 12]);
  await closed;
});

// Shadow traffic in isolation (fake targets, real metrics): the copy leaves on a later turn, a
// shadow that fails or never answers changes nothing for the live answer, too many in flight are
// skipped and counted, and the comparison (absolute differences, Spearman) is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGatewayMetrics } from '../../src/observability/gateway-metrics.js';
import { ShadowRunner, scoresOf, spearman, type ShadowTarget } from '../../src/repository/shadow.js';
import { err } from '../../src/core/errors.js';
import type { InferRequest, InferResponse } from '../../src/core/types.js';

const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);
const request = (xs: number[]): InferRequest => ({
  modelName: 'm', modelVersion: '', id: 'r', timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
  inputs: [{ name: 'x', datatype: 'FP32', shape: [xs.length, 1], data: f32(xs) }],
});
const response = (version: string, scores: number[]): InferResponse => ({
  modelName: 'm', modelVersion: version, id: 'r', outputs: [{ name: 'score', datatype: 'FP32', shape: [scores.length, 1], data: f32(scores) }],
});
const target = (version: string, infer: ShadowTarget['infer']): ShadowTarget => ({ labels: Object.freeze({ model: 'm', version }), infer });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('the copy leaves on a later turn, with its own bytes and the shadow\'s version', async () => {
  const metrics = createGatewayMetrics();
  const shadow = new ShadowRunner(metrics);
  const seen: InferRequest[] = [];
  const req = request([1, 2, 3]);
  shadow.mirror(req, target('2', async (r) => { seen.push(r); return response('2', [1, 2, 3]); }), Promise.resolve(response('1', [1, 2, 3])), '1');
  assert.equal(seen.length, 0, 'nothing runs on the live request\'s turn');
  req.inputs[0]!.data.fill(0); // the caller's body is reused once the live request finished
  await turn();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.modelVersion, '2');
  assert.deepEqual([...new Float32Array(seen[0]!.inputs[0]!.data.slice().buffer)], [1, 2, 3]);
});

test('a failing shadow is counted by code; a shadow that never answers holds only its slot', async () => {
  const metrics = createGatewayMetrics();
  const shadow = new ShadowRunner(metrics, { maxInFlight: 2 });
  const live = Promise.resolve(response('1', [0.5]));
  shadow.mirror(request([1]), target('3', async () => { throw err('IG_UNKNOWN_INPUT', 'no input "x"'); }), live, '1');
  await turn();
  await turn();
  assert.equal(shadow.inFlight, 0, 'a failed shadow frees its slot');
  const never = target('4', () => new Promise<InferResponse>(() => {}));
  shadow.mirror(request([1]), never, live, '1');
  shadow.mirror(request([1]), never, live, '1');
  shadow.mirror(request([1]), never, live, '1');
  await turn();
  await turn();
  assert.equal(metrics.shadowFailure.get({ model: 'm', version: '3', code: 'IG_UNKNOWN_INPUT' }), 1);
  assert.equal(shadow.inFlight, 2, 'two hung shadow requests fill the bound');
  assert.equal(metrics.shadowSkipped.get(never.labels), 1, 'the third copy was skipped');
  // And the live answer was never waited on: it is the same resolved promise, untouched.
  assert.equal((await live).modelVersion, '1');
});

test('a live failure leaves nothing to compare; the shadow latency is still recorded', async () => {
  const metrics = createGatewayMetrics();
  const shadow = new ShadowRunner(metrics);
  const live = Promise.reject(err('IG_DEADLINE_EXCEEDED', 'late'));
  live.catch(() => {});
  shadow.mirror(request([1, 2]), target('2', async () => response('2', [1, 2])), live, '1');
  await turn();
  await turn();
  assert.equal(metrics.shadowDuration.snapshot({ model: 'm', version: '2' })?.count, 1);
  assert.equal(metrics.shadowAbsDiff.snapshot({ model: 'm', live: '1', shadow: '2' }), undefined);
});

test('comparison: every element\'s absolute difference, and Spearman over requests of >= 10 rows', async () => {
  const metrics = createGatewayMetrics();
  const shadow = new ShadowRunner(metrics);
  const liveScores = Array.from({ length: 12 }, (_, i) => i / 10);
  const shadowScores = liveScores.map((x, i) => (i === 0 ? x + 0.5 : x));
  shadow.mirror(request(liveScores), target('2', async () => response('2', shadowScores)), Promise.resolve(response('1', liveScores)), '1');
  shadow.mirror(request([1, 2]), target('2', async () => response('2', [1, 2])), Promise.resolve(response('1', [1, 2])), '1');
  await turn();
  await turn();
  const labels = { model: 'm', live: '1', shadow: '2' };
  const diff = metrics.shadowAbsDiff.snapshot(labels)!;
  assert.equal(diff.count, 14);
  assert.equal(diff.counts[0], 13, 'thirteen identical elements');
  assert.ok(Math.abs(diff.sum - 0.5) < 1e-6);
  const rank = metrics.shadowRankCorrelation.snapshot(labels)!;
  assert.equal(rank.count, 1, 'only the 12-row request has a rank correlation');
  assert.ok(Math.abs(rank.sum - spearman(liveScores, shadowScores)) < 1e-12);
});

test('spearman: same order 1, reversed -1, ties share their rank; scoresOf reads FP32 and FP64', () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12);
  assert.ok(Math.abs(spearman([1, 1, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-12);
  assert.equal(spearman([5, 5, 5], [5, 5, 5]), 1);
  assert.equal(spearman([5, 5, 5], [1, 2, 3]), 0);
  assert.throws(() => spearman([1], [1, 2]), RangeError);
  assert.deepEqual([...scoresOf({ name: 's', datatype: 'FP64', shape: [2], data: new Uint8Array(new Float64Array([0.25, -1]).buffer) })!], [0.25, -1]);
  assert.equal(scoresOf({ name: 's', datatype: 'INT64', shape: [1], data: new Uint8Array(8) }), undefined);
});

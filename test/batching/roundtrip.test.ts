// End to end inside the library: DynamicBatcher + assembleBatch + a fake "model" + sliceOutputs.
// Each request must get exactly y = 2x and s = rowsum(x) of its own rows, whatever batches it
// shared and however it was split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleBatch, sliceOutputs, type TensorMap } from '../../src/batching/assemble.js';
import { SabPool } from '../../src/batching/sab-pool.js';
import { DynamicBatcher, type Batch, type BatchResult } from '../../src/batching/scheduler.js';
import { batchSignature } from '../../src/batching/signature.js';
import { FakeClock, seeded, settle } from './helpers.js';

const COLS = 8;

/** The "model": reads the batch from the SAB like a worker would, writes fresh output buffers. */
function runModel(x: Float32Array, rows: number): Record<string, { datatype: 'FP32'; shape: number[]; bytes: Uint8Array }> {
  const y = new Float32Array(rows * COLS);
  const s = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < COLS; c++) {
      y[r * COLS + c] = 2 * x[r * COLS + c]!;
      s[r] = s[r]! + x[r * COLS + c]!;
    }
  }
  return {
    y: { datatype: 'FP32', shape: [rows, COLS], bytes: new Uint8Array(y.buffer) },
    s: { datatype: 'FP32', shape: [rows, 1], bytes: new Uint8Array(s.buffer) },
  };
}

test('concurrent requests of mixed K are batched, split and answered with their own rows', async () => {
  const rnd = seeded(2024);
  const clock = new FakeClock();
  const sabs = new SabPool();
  const running: (() => void)[] = [];
  const batches: Batch<TensorMap>[] = [];
  const b = new DynamicBatcher<TensorMap>({
    options: { maxBatchSize: 16, maxQueueDelayUs: 100 },
    clock,
    idleWorkers: () => 2 - running.length,
    execute: (batch) => {
      batches.push(batch);
      const assembled = assembleBatch(batch.entries.map((e) => ({ inputs: e.payload, rowStart: e.rowStart, rows: e.rows })), sabs);
      const x = assembled.inputs[0]!;
      return new Promise<BatchResult>((resolve) => {
        running.push(() => {
          const outputs = runModel(new Float32Array(x.buffer, x.byteOffset, x.byteLength / 4), assembled.rows);
          assembled.release(); // the worker's result has arrived: the batch gives its SABs back
          resolve({ outputs: sliceOutputs(outputs, batch.entries.map((e) => e.rows)) });
        });
      });
    },
  });

  const reqs: { x: Float32Array; k: number; p: Promise<unknown> }[] = [];
  for (let i = 0; i < 60; i++) {
    const k = rnd() < 0.2 ? 17 + Math.floor(rnd() * 30) : 1 + Math.floor(rnd() * 4);
    const x = new Float32Array(k * COLS);
    for (let j = 0; j < x.length; j++) x[j] = Math.round(rnd() * 1000) / 8;
    const inputs: TensorMap = { x: { datatype: 'FP32', shape: [k, COLS], bytes: new Uint8Array(x.buffer) } };
    reqs.push({ x, k, p: b.submit({ rows: k, signature: batchSignature(inputs), payload: inputs }) });
    clock.advance(Math.floor(rnd() * 40));
    if (rnd() < 0.3 && running.length > 0) {
      running.shift()!();
      await settle();
    }
  }
  while (running.length > 0 || b.counters.queueDepth > 0) {
    if (running.length > 0) running.shift()!();
    else clock.advance(100);
    await settle();
  }
  const results = (await Promise.all(reqs.map((r) => r.p))) as { outputs: Record<string, { shape: number[]; bytes: Uint8Array }> }[];
  results.forEach((res, i) => {
    const { x, k } = reqs[i]!;
    const y = new Float32Array(res.outputs.y!.bytes.slice().buffer);
    const s = new Float32Array(res.outputs.s!.bytes.slice().buffer);
    assert.deepEqual(res.outputs.y!.shape, [k, COLS]);
    assert.deepEqual(res.outputs.s!.shape, [k, 1]);
    assert.deepEqual([...y], [...x].map((v) => 2 * v), `request ${i} y`);
    for (let r = 0; r < k; r++) {
      let sum = 0;
      for (let c = 0; c < COLS; c++) sum += x[r * COLS + c]!;
      assert.equal(s[r], Math.fround(sum), `request ${i} row ${r} s`);
    }
  });
  assert.ok(batches.some((bt) => bt.entries.length > 1), 'some batches held several requests');
  assert.ok(batches.some((bt) => bt.entries.some((e) => e.rowStart > 0)), 'some requests were split');
  assert.ok(batches.every((bt) => bt.rows <= 16));
  assert.equal(sabs.stats().checkedOut, 0, 'every batch buffer went back to the pool');
  assert.ok(sabs.stats().reused > 0);
  assert.equal(b.counters.completed, 60);
});

// GPU only: a model whose config.json asks for the CUDA provider serves through the whole gateway
// (HTTP, the batcher, a worker, pinned staging + IoBinding) and answers what the CPU answers.
// Skips, printing why, on a machine without a GPU or without a GPU build of ONNX Runtime.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { Session } from '../../src/runtime/index.js';
import { encodeFlatRequest, decodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { startTestGateway } from '../helpers/gateway.js';
import { seededRows, writeModel } from '../helpers/fixtures.js';
import { cudaUnavailableReason } from '../helpers/gpu.js';

const FEATURES = 128;

test('GPU only: a CUDA model batches through the gateway and matches the CPU row for row', async (t: TestContext) => {
  const missing = cudaUnavailableReason();
  if (missing !== undefined) {
    console.log(`# GPU test skipped: ${missing}`);
    t.skip(missing);
    return;
  }
  const repo = mkdtempSync(join(tmpdir(), 'infergate-gpu-'));
  const modelPath = writeModel(repo, 'ranker', buildRanker(), {
    max_batch_size: 256,
    dynamic_batching: { max_queue_delay_microseconds: 1000 },
    // TF32 off: this test checks parity with the CPU, not TF32's rounding (the bench reports that).
    runtime: { execution_providers: [{ name: 'cuda', device_id: 0, options: { use_tf32: '0' } }], provider_fallback: 'fail' },
    warmup: { batch_sizes: [1, 8, 64, 256] },
  });
  const cpu = Session.load(modelPath, { intraOpThreads: 1 });
  const gw = await startTestGateway(repo, { workers: 2 });
  try {
    const host = gw.manager.host('ranker');
    const batchesBefore = host.counters!.batches;
    // 64 concurrent requests of 1-9 rows, plus one of 200 rows.
    const sizes = [...Array.from({ length: 64 }, (_, i) => 1 + (i % 9)), 200];
    const inputs = sizes.map((k, i) => seededRows(k, FEATURES, 7000 + i));
    const results = await Promise.all(inputs.map(async (rows, i) => {
      const k = sizes[i]!;
      const r = await fetch(`${gw.url}/v2/models/ranker/infer`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-flatbuffers' },
        body: encodeFlatRequest({
          modelName: 'ranker', modelVersion: '', id: `g${i}`, timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
          inputs: [{ name: 'features', datatype: 'FP32', shape: [k, FEATURES], data: new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength) }],
        }),
      });
      assert.equal(r.status, 200, `request g${i}`);
      return decodeFlatResponse(new Uint8Array(await r.arrayBuffer()));
    }));
    results.forEach((resp, i) => {
      const k = sizes[i]!;
      assert.equal(resp.id, `g${i}`);
      assert.deepEqual(resp.outputs[0]!.shape, [k, 1]);
      const got = new Float32Array(resp.outputs[0]!.data.slice().buffer);
      const want = cpu.runSync({ features: { dtype: 'float32', shape: [k, FEATURES], data: inputs[i]! } }).score!.data as Float32Array;
      for (let r = 0; r < k; r++) assert.ok(Math.abs(got[r]! - want[r]!) <= 1e-4, `g${i} row ${r}: got ${got[r]}, want ${want[r]}`);
    });
    const batches = host.counters!.batches - batchesBefore;
    assert.ok(batches < sizes.length, `requests were batched on the GPU path (${batches} batches for ${sizes.length} requests)`);
    // GPU batches never run on the event loop (pool.ts: cpuOnly).
    assert.equal(gw.pool.inlineRuns, 0, 'no GPU batch ran inline');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /infergate_batch_size_count\{model="ranker",version="1"\} [1-9]/);
  } finally {
    await gw.close();
    cpu.unload();
    rmSync(repo, { recursive: true, force: true });
  }
});

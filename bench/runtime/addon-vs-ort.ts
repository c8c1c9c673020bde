// Micro-benchmark: the infergate addon vs onnxruntime-node's InferenceSession.run on the same
// model (the ranker MLP: float32[N,128] -> Gemm 512 -> Relu -> Gemm 256 -> Relu -> Gemm 1 ->
// Sigmoid), the same inputs, batch 1 and 200, one intra-op thread, no spinning, one process.
//   node dist/bench/runtime/addon-vs-ort.js [--time-ms 1500] [--model path/to/model.onnx]
// Prints a table and, per batch size, addon/ort ratios of the per-call mean and p50 (< 1 means
// the addon is faster).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { Session, ortVersion } from '../../src/runtime/index.js';
import { buildModel, seededFloat32, type ModelSpec } from '../../test/fixtures/onnx-builder.js';

type Ort = typeof import('onnxruntime-node');
// onnxruntime-node is CommonJS; load it the way a CommonJS consumer would.
const ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;

const REPO_RANKER = fileURLToPath(new URL('../../../models/ranker/1/model.onnx', import.meta.url));

/** The ranker shape of the issue, seeded; used when the demo model repository is absent. */
export function rankerSpec(seed = 1): ModelSpec {
  const dims = [128, 512, 256, 1];
  const initializers = [];
  const nodes = [];
  let prev = 'features';
  for (let l = 0; l < 3; l++) {
    const [inD, outD] = [dims[l]!, dims[l + 1]!];
    initializers.push(
      { name: `w${l}`, dtype: 'float32' as const, dims: [inD, outD], data: seededFloat32(inD * outD, seed + 2 * l, Math.sqrt(6 / (inD + outD))) },
      { name: `b${l}`, dtype: 'float32' as const, dims: [outD], data: seededFloat32(outD, seed + 2 * l + 1, 0.01) },
    );
    nodes.push({ op: 'Gemm', inputs: [prev, `w${l}`, `b${l}`], outputs: [`g${l}`] });
    prev = `g${l}`;
    if (l < 2) {
      nodes.push({ op: 'Relu', inputs: [prev], outputs: [`r${l}`] });
      prev = `r${l}`;
    }
  }
  nodes.push({ op: 'Sigmoid', inputs: [prev], outputs: ['score'] });
  return {
    inputs: [{ name: 'features', dtype: 'float32', shape: ['batch', 128] }],
    outputs: [{ name: 'score', dtype: 'float32', shape: ['batch', 1] }],
    initializers,
    nodes,
  };
}

function modelPath(explicit: string | undefined): string {
  if (explicit) return explicit;
  if (existsSync(REPO_RANKER)) return REPO_RANKER;
  const dir = join(tmpdir(), 'infergate-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'ranker.onnx');
  writeFileSync(path, buildModel(rankerSpec()));
  return path;
}

export interface Row { task: string; batch: number; meanUs: number; p50Us: number; p99Us: number; samples: number }

export async function addonVsOrt(opts: { timeMs?: number; model?: string } = {}): Promise<{ model: string; rows: Row[] }> {
  const model = modelPath(opts.model);
  const addon = Session.load(model, { intraOpThreads: 1, interOpThreads: 1, allowSpinning: false });
  const reference = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { 'session.intra_op.allow_spinning': '0', 'session.inter_op.allow_spinning': '0' },
  });
  const [inputName] = reference.inputNames;
  const rows: Row[] = [];
  try {
    for (const batch of [1, 200]) {
      const data = seededFloat32(batch * 128, 1000 + batch);
      const shape = [batch, 128];
      // Sanity: both engines compute the same scores before anything is timed.
      const a = addon.runSync({ [inputName!]: { dtype: 'float32', shape, data } }).score!.data as Float32Array;
      const b = (await reference.run({ [inputName!]: new ort.Tensor('float32', data, shape) })).score!.data as Float32Array;
      for (let i = 0; i < batch; i++) {
        if (Math.abs(a[i]! - b[i]!) > 1e-5) throw new Error(`addon and onnxruntime-node disagree at batch ${batch} row ${i}: ${a[i]} vs ${b[i]}`);
      }
      const bench = new Bench({ time: opts.timeMs ?? 1500, warmupTime: 200 });
      // Each call builds its input wrapper, as a caller with fresh data would.
      bench
        .add(`addon runSync b${batch}`, () => {
          addon.runSync({ [inputName!]: { dtype: 'float32', shape, data } });
        })
        .add(`addon run (async) b${batch}`, async () => {
          await addon.run({ [inputName!]: { dtype: 'float32', shape, data } });
        })
        .add(`onnxruntime-node run b${batch}`, async () => {
          await reference.run({ [inputName!]: new ort.Tensor('float32', data, shape) });
        });
      await bench.run();
      for (const t of bench.tasks) {
        const r = t.result;
        if (!r || !('latency' in r)) throw new Error(`${t.name} produced no result`);
        rows.push({ task: t.name, batch, meanUs: r.latency.mean * 1e3, p50Us: r.latency.p50 * 1e3, p99Us: r.latency.p99 * 1e3, samples: r.latency.samplesCount });
      }
    }
  } finally {
    addon.unload();
    await reference.release();
  }
  return { model, rows };
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const timeMs = Number(arg('--time-ms') ?? 1500);
  const { model, rows } = await addonVsOrt({ timeMs, model: arg('--model') });
  console.log(`model ${model}; ONNX Runtime ${ortVersion()} (addon) / onnxruntime-node ${ort.env.versions.node ?? '?'}; intra-op threads 1, no spinning`);
  console.table(rows.map((r) => ({ task: r.task, 'mean µs': r.meanUs.toFixed(1), 'p50 µs': r.p50Us.toFixed(1), 'p99 µs': r.p99Us.toFixed(1), samples: r.samples })));
  for (const batch of [1, 200]) {
    const ortRow = rows.find((r) => r.batch === batch && r.task.startsWith('onnxruntime-node'))!;
    for (const r of rows.filter((x) => x.batch === batch && x.task.startsWith('addon'))) {
      console.log(`batch ${batch}: ${r.task.replace(` b${batch}`, '')} / onnxruntime-node: mean ${(r.meanUs / ortRow.meanUs).toFixed(2)}x, p50 ${(r.p50Us / ortRow.p50Us).toFixed(2)}x`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}

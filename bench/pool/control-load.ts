// Control tasks at scale: loads a repository of N copies of a tiny model (warm-up runs in every
// worker for each), counts how many reach READY, then unloads them all at once (manager.drain,
// as SIGTERM does) and times it. Usage:
//   node dist/bench/pool/control-load.js [models=500] [workers=2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildModel } from '../../test/fixtures/onnx-builder.js';
import { ModelManager } from '../../src/repository/manager.js';
import { ExecutionPolicy } from '../../src/pool/execution-policy.js';
import { writeModel } from '../../test/helpers/fixtures.js';

const models = Number(process.argv[2] ?? 500);
const workers = Number(process.argv[3] ?? 2);
const repo = mkdtempSync(join(tmpdir(), 'infergate-control-'));
const bytes = buildModel({
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 4] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
});
for (let i = 0; i < models; i++) writeModel(repo, `m${i}`, bytes, { max_batch_size: 8 });

const pool = new ExecutionPolicy({ workers });
const errors = new Map<string, number>();
const manager = new ModelManager({
  repository: repo, pool, modelControlMode: 'none',
  log: {
    info() {},
    warn() {},
    error: (l: string) => {
      const m = /load failed: (.*)$/.exec(l);
      if (m) errors.set(m[1]!, (errors.get(m[1]!) ?? 0) + 1);
    },
  },
});
const t0 = performance.now();
await manager.start();
const loadMs = performance.now() - t0;
const ready = (await manager.repositoryIndex()).filter((e) => e.state === 'READY').length;
const t1 = performance.now();
let drain = 'ok';
try {
  await manager.drain();
} catch (e) {
  drain = `failed: ${(e as Error).message}`;
}
const drainMs = performance.now() - t1;
await pool.close();
rmSync(repo, { recursive: true, force: true });
console.log(JSON.stringify({ models, workers, ready, loadMs: Math.round(loadMs), drainMs: Math.round(drainMs), drain, errors: Object.fromEntries(errors) }));

// 100 concurrent unload announcements on a fresh pool (no model needs to be open for that).
const fresh = new ExecutionPolicy({ workers });
const t2 = performance.now();
const settled = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => fresh.announceUnload(`u${i}`)));
const unloadMs = performance.now() - t2;
const rounds = fresh.unloadRounds;
await fresh.close();
const failed = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
console.log(JSON.stringify({ unloads: 100, unloadMs: Math.round(unloadMs), rounds, failed: failed.length, firstError: failed[0] ? String(failed[0].reason) : undefined }));

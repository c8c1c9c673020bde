// Seeded inputs and small model repositories for gateway tests.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { buildModel, seededRandom } from '../fixtures/onnx-builder.js';

/** Deterministic float32 rows in [-1, 1) (mulberry32). */
export function seededRows(rows: number, cols: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = next() * 2 - 1;
  return out;
}

export function writeModel(repo: string, name: string, bytes: Uint8Array, config?: unknown, version = 1): string {
  const dir = join(repo, name, String(version));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'model.onnx');
  writeFileSync(path, bytes);
  if (config !== undefined) writeFileSync(join(repo, name, 'config.json'), JSON.stringify(config));
  return path;
}

/** A repository with: ranker (batching), ranker_fixed (max_batch_size 0), broken (garbage file). */
export function makeTestRepo(): { repo: string; rankerPath: string } {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-repo-'));
  const ranker = buildRanker();
  const rankerPath = writeModel(repo, 'ranker', ranker, { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 2000 } });
  writeModel(repo, 'ranker_fixed', ranker, { max_batch_size: 0 });
  writeModel(repo, 'broken', new TextEncoder().encode('this is not an onnx model'), { max_batch_size: 8 });
  return { repo, rankerPath };
}

/** A fresh repository holding model "m": Relu over float32[batch, 4], max_batch_size 16 (the
 *  drain tests and bench: a model that answers in microseconds). */
export function makeReluRepo(prefix = 'infergate-relu-'): string {
  const repo = mkdtempSync(join(tmpdir(), prefix));
  writeModel(repo, 'm', buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 4] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  }), { max_batch_size: 16 });
  return repo;
}

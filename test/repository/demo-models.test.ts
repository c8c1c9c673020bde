// The seeded demo models: layout, signatures, sane outputs, determinism, and the install-time
// skip. onnxruntime-node is the independent check that the files are valid ONNX.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { generateDemoModels, lowerTriangleIndices } from '../../scripts/gen-demo-models.js';
import { SeededRandom } from '../fixtures/seeded-random.js';

const tempDirs: string[] = [];
function tempRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'infergate-demo-'));
  tempDirs.push(dir);
  return dir;
}
test.after(() => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });

const repoA = tempRepo();
const firstRun = generateDemoModels(repoA);
// logSeverityLevel 4 (fatal only) keeps ORT's own stderr log quiet for the out-of-range index we provoke on purpose.
const sessionOptions: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 };

function uniformFloats(rng: SeededRandom, n: number): Float32Array {
  return rng.fillUniform(new Float32Array(n), -1, 1);
}

function assertScores(score: ort.Tensor, rows: number): Float32Array {
  assert.equal(score.type, 'float32');
  assert.deepEqual(score.dims, [rows, 1]);
  const data = score.data as Float32Array;
  for (const v of data) assert.ok(v > 0 && v < 1, `score ${v} outside (0,1)`);
  assert.ok(new Set(data).size > rows / 2, 'scores are (nearly) all equal');
  return data;
}

test('writes the Triton-style layout with configs and stamps', () => {
  assert.deepEqual(firstRun.map((r) => [r.name, r.skipped]), [['ranker', false], ['dlrm', false]]);
  for (const name of ['ranker', 'dlrm']) {
    assert.ok(existsSync(join(repoA, name, '1', 'model.onnx')));
    const config = JSON.parse(readFileSync(join(repoA, name, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config['max_batch_size'], 1024);
  }
});

test('ranker: signature, dynamic batch, scores in (0,1)', async () => {
  const s = await ort.InferenceSession.create(join(repoA, 'ranker', '1', 'model.onnx'), sessionOptions);
  assert.deepEqual(s.inputMetadata, [{ name: 'features', isTensor: true, type: 'float32', shape: ['batch', 128] }]);
  assert.deepEqual(s.outputMetadata, [{ name: 'score', isTensor: true, type: 'float32', shape: ['batch', 1] }]);
  const rng = new SeededRandom(7);
  for (const rows of [1, 64]) {
    const out = await s.run({ features: new ort.Tensor('float32', uniformFloats(rng, rows * 128), [rows, 128]) });
    assertScores(out['score']!, rows);
  }
  await s.release();
});

function dlrmFeeds(rng: SeededRandom, rows: number): { dense: ort.Tensor; sparse: ort.Tensor; ids: BigInt64Array } {
  const ids = new BigInt64Array(rows * 26);
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(rng.int(10_000));
  return {
    dense: new ort.Tensor('float32', uniformFloats(rng, rows * 13), [rows, 13]),
    sparse: new ort.Tensor('int64', ids, [rows, 26]),
    ids,
  };
}

test('dlrm: signature, scores in (0,1), embeddings matter, bad index is an error', async () => {
  const s = await ort.InferenceSession.create(join(repoA, 'dlrm', '1', 'model.onnx'), sessionOptions);
  assert.deepEqual(s.inputMetadata, [
    { name: 'dense', isTensor: true, type: 'float32', shape: ['batch', 13] },
    { name: 'sparse', isTensor: true, type: 'int64', shape: ['batch', 26] },
  ]);
  assert.deepEqual(s.outputMetadata, [{ name: 'score', isTensor: true, type: 'float32', shape: ['batch', 1] }]);
  const rng = new SeededRandom(11);
  const feeds = dlrmFeeds(rng, 64);
  const base = assertScores((await s.run({ dense: feeds.dense, sparse: feeds.sparse }))['score']!, 64);

  // Changing only the last table's id of row 0 must move row 0's score and no other row's.
  const ids = feeds.ids.slice();
  ids[25] = (ids[25]! + 1n) % 10_000n;
  const moved = (await s.run({ dense: feeds.dense, sparse: new ort.Tensor('int64', ids, [64, 26]) }))['score']!.data as Float32Array;
  assert.notEqual(moved[0], base[0]);
  assert.deepEqual(moved.subarray(1), base.subarray(1));

  ids[25] = 10_000n; // one past the end of table 25
  await assert.rejects(s.run({ dense: feeds.dense, sparse: new ort.Tensor('int64', ids, [64, 26]) }), /out of data bounds|out of bounds/);
  await s.release();
});

test('the interaction takes the 351 strictly-lower-triangle entries of 27 x 27', () => {
  const idx = lowerTriangleIndices(27);
  assert.equal(idx.length, 351);
  assert.deepEqual(idx.slice(0, 4), [27, 54, 55, 81]);
  assert.equal(idx[idx.length - 1], 26 * 27 + 25);
});

test('two generations are byte-identical', () => {
  const repoB = tempRepo();
  generateDemoModels(repoB);
  for (const name of ['ranker', 'dlrm']) {
    for (const file of [join('1', 'model.onnx'), 'config.json']) {
      assert.ok(readFileSync(join(repoA, name, file)).equals(readFileSync(join(repoB, name, file))), `${name}/${file} differs`);
    }
  }
});

test('a current stamp skips generation; a stale or corrupt stamp regenerates', () => {
  assert.ok(generateDemoModels(repoA).every((r) => r.skipped));
  writeFileSync(join(repoA, 'ranker', '.demo-model.json'), '{not json');
  writeFileSync(join(repoA, 'dlrm', '.demo-model.json'), JSON.stringify({ generator: 'gen-demo-models', version: -1, modelBytes: 0 }));
  assert.deepEqual(generateDemoModels(repoA).map((r) => r.skipped), [false, false]);
  assert.deepEqual(generateDemoModels(repoA, { force: true }).map((r) => r.skipped), [false, false]);
});

test('CLI writes the repository and rejects a missing argument', () => {
  const script = fileURLToPath(new URL('../../scripts/gen-demo-models.js', import.meta.url));
  const repo = tempRepo();
  const ok = spawnSync(process.execPath, [script, repo], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /dlrm: written/);
  assert.ok(readFileSync(join(repo, 'ranker', '1', 'model.onnx')).equals(readFileSync(join(repoA, 'ranker', '1', 'model.onnx'))));
  const bad = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage/);
});

test('SeededRandom is deterministic per seed and stays in range', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(seqA, Array.from({ length: 8 }, () => b.nextUint32()));
  assert.notDeepEqual(seqA, Array.from({ length: 8 }, () => c.nextUint32()));
  for (let i = 0; i < 1000; i++) {
    const u = a.uniform(-2, 3);
    assert.ok(u >= -2 && u < 3);
    const k = a.int(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
  }
  assert.throws(() => new SeededRandom(1.5), TypeError);
  assert.throws(() => a.int(0), RangeError);
});

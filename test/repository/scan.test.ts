// Repository scan over real temporary directories: layout rules, version policies, broken
// models isolated from good ones, hidden and odd entries, name safety, layers passed through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/repository/config.js';
import {
  type ScannedModel, type ScannedModelOk, checkModelName, scanModel, scanRepository, selectVersions,
} from '../../src/repository/scan.js';

const roots: string[] = [];
test.after(() => { for (const d of roots) rmSync(d, { recursive: true, force: true }); });

/** Builds a repository from a {relative path: file content | null (directory)} map. */
function repo(files: Record<string, string | object | null>): string {
  const root = mkdtempSync(join(tmpdir(), 'infergate-repo-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    if (content === null) { mkdirSync(p, { recursive: true }); continue; }
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

function ok(m: ScannedModel | undefined): ScannedModelOk {
  assert.ok(m !== undefined && 'config' in m, `expected a scanned model, got ${JSON.stringify(m)}`);
  return m;
}
function errorOf(m: ScannedModel | undefined): string {
  assert.ok(m !== undefined && 'error' in m, `expected an error, got ${JSON.stringify(m)}`);
  return m.error;
}

test('lists models sorted, picks the latest version by default, gives absolute paths', async () => {
  const root = repo({
    'ranker/config.json': { max_batch_size: 8 },
    'ranker/1/model.onnx': 'x', 'ranker/2/model.onnx': 'x', 'ranker/10/model.onnx': 'x',
    'dlrm/3/model.onnx': 'x',
  });
  const scan = await scanRepository(root);
  assert.equal(scan.repository, root);
  assert.deepEqual(scan.models.map((m) => m.name), ['dlrm', 'ranker']);
  const ranker = ok(scan.models[1]);
  assert.equal(ranker.config.maxBatchSize, 8);
  assert.equal(ranker.dir, join(root, 'ranker'));
  assert.deepEqual(ranker.versions, [{ version: 10, path: join(root, 'ranker', '10', 'model.onnx') }], 'numeric, not lexical, order');
  assert.deepEqual(ranker.warnings, []);
  const dlrm = ok(scan.models[0]);
  assert.equal(dlrm.config.maxBatchSize, 0, 'no config.json: defaults');
  assert.deepEqual(dlrm.versions.map((v) => v.version), [3]);
});

test('version policies: latest N, all, specific, specific with a missing version', async () => {
  const versions = { 'm/1/model.onnx': 'x', 'm/2/model.onnx': 'x', 'm/3/model.onnx': 'x' };
  const pick = async (policy: unknown): Promise<ScannedModel> =>
    (await scanRepository(repo({ ...versions, 'm/config.json': { version_policy: policy } }))).models[0]!;
  assert.deepEqual(ok(await pick({ latest: { num_versions: 2 } })).versions.map((v) => v.version), [2, 3]);
  assert.deepEqual(ok(await pick({ latest: { num_versions: 9 } })).versions.map((v) => v.version), [1, 2, 3]);
  assert.deepEqual(ok(await pick({ all: {} })).versions.map((v) => v.version), [1, 2, 3]);
  assert.deepEqual(ok(await pick({ specific: { versions: [3, 1] } })).versions.map((v) => v.version), [1, 3]);
  assert.equal(errorOf(await pick({ specific: { versions: [2, 4, 5] } })),
    'm: version_policy.specific lists versions 4, 5, not present with a model.onnx (available: 1, 2, 3)');
});

test('selectVersions is pure and ascending', () => {
  assert.deepEqual(selectVersions([5, 1, 3], { kind: 'latest', numVersions: 1 }), { versions: [5] });
  assert.deepEqual(selectVersions([5, 1, 3], { kind: 'all' }), { versions: [1, 3, 5] });
  assert.deepEqual(selectVersions([], { kind: 'specific', versions: [1] }),
    { error: 'version_policy.specific lists version 1, not present with a model.onnx (available: none)' });
});

test('a broken config.json fails its model only', async () => {
  const root = repo({
    'bad-json/config.json': '{"max_batch_size": 8,', 'bad-json/1/model.onnx': 'x',
    'bad-value/config.json': { dynamic_batching: { max_queue_delay_microseconds: -5 } }, 'bad-value/1/model.onnx': 'x',
    'dir-config/config.json/x': 'x', 'dir-config/1/model.onnx': 'x',
    'good/1/model.onnx': 'x',
  });
  const scan = await scanRepository(root);
  assert.deepEqual(scan.models.map((m) => m.name), ['bad-json', 'bad-value', 'dir-config', 'good']);
  assert.match(errorOf(scan.models[0]), /^bad-json\/config\.json: invalid JSON \(/);
  assert.equal(errorOf(scan.models[1]),
    'bad-value/config.json: dynamic_batching.max_queue_delay_microseconds must be a non-negative integer (got -5)');
  assert.equal(errorOf(scan.models[2]), 'dir-config/config.json: is not a file');
  assert.deepEqual(ok(scan.models[3]).versions.map((v) => v.version), [1]);
});

test('empty models, versions without model.onnx, odd directories', async () => {
  const root = repo({
    'empty': null,
    'only-config/config.json': {},
    'no-onnx/1/readme.txt': 'x',
    'partial/1/model.onnx': 'x', 'partial/2': null, 'partial/v3/model.onnx': 'x', 'partial/01/model.onnx': 'x',
    'partial/0/model.onnx': 'x', 'partial/labels.txt': 'x', 'partial/.staging/model.onnx': 'x',
    'partial/warmup/x.bin': 'x',
  });
  const scan = await scanRepository(root);
  const byName = new Map(scan.models.map((m) => [m.name, m]));
  assert.equal(errorOf(byName.get('empty')), 'empty: no version directories (expected empty/<version>/model.onnx)');
  assert.equal(errorOf(byName.get('only-config')), 'only-config: no version directories (expected only-config/<version>/model.onnx)');
  assert.equal(errorOf(byName.get('no-onnx')), 'no-onnx: no version directory holds a model.onnx');
  const partial = ok(byName.get('partial'));
  assert.deepEqual(partial.versions.map((v) => v.version), [1], 'version 2 has no model.onnx: the policy picks among the rest');
  assert.deepEqual(partial.warnings, [
    'partial/0: ignored (version directories are positive integers without leading zeros)',
    'partial/01: ignored (version directories are positive integers without leading zeros)',
    'partial/2: no model.onnx; version 2 skipped',
    'partial/v3: ignored (version directories are positive integers without leading zeros)',
  ], 'warmup/ (model_warmup data files) is no version and no typo');
});

test('hidden entries and plain files are ignored; unsafe names are errors', async () => {
  const root = repo({
    '.git/1/model.onnx': 'x', '..data/1/model.onnx': 'x', 'README.md': '# models',
    'bad name/1/model.onnx': 'x', 'ok.v2/1/model.onnx': 'x',
  });
  const scan = await scanRepository(root);
  assert.deepEqual(scan.ignored, ['README.md']);
  assert.deepEqual(scan.models.map((m) => m.name), ['bad name', 'ok.v2']);
  assert.equal(errorOf(scan.models[0]), checkModelName('bad name'));
  ok(scan.models[1]);
});

test('checkModelName allows a safe set and rejects traversal', () => {
  for (const name of ['ranker', 'dlrm_v2', 'a-b.c', '0model', 'x'.repeat(128)]) assert.equal(checkModelName(name), undefined, name);
  for (const name of ['', '.', '..', '../etc', 'a/b', 'a\\b', '.hidden', 'a..b', 'a b', 'a%2Fb', 'x'.repeat(129), 'a\u0000b']) {
    assert.match(checkModelName(name) ?? '', /^model name ".*" is not allowed/, JSON.stringify(name));
  }
});

test('scanModel (explicit load) reports a traversal name without touching the file system', async () => {
  const root = repo({ 'inner/ranker/1/model.onnx': 'x', 'secret/1/model.onnx': 'x' });
  const inner = join(root, 'inner');
  const m = await scanModel(inner, '../secret');
  assert.equal(errorOf(m), checkModelName('../secret'));
  assert.equal(m.dir, '');
  assert.equal(errorOf(await scanModel(inner, 'absent')), `absent: no model directory ${join(inner, 'absent')}`);
  assert.deepEqual(ok(await scanModel(inner, 'ranker')).versions.map((v) => v.version), [1]);
});

test('a repository that is missing or not a directory rejects with ConfigError', async () => {
  const root = repo({ 'file.txt': 'x' });
  await assert.rejects(scanRepository(join(root, 'nope')), (e: unknown) =>
    e instanceof ConfigError && e.message === `model repository ${join(root, 'nope')} cannot be read (ENOENT)`);
  await assert.rejects(scanRepository(join(root, 'file.txt')), (e: unknown) =>
    e instanceof ConfigError && e.message === `model repository ${join(root, 'file.txt')} is not a directory`);
});

test('server defaults and overrides reach each model; overrides for unknown models are reported', async () => {
  const root = repo({
    'ranker/config.json': { max_batch_size: 16 }, 'ranker/1/model.onnx': 'x',
    'dlrm/1/model.onnx': 'x',
  });
  const scan = await scanRepository(root, {
    serverDefaults: { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 100 } },
    overrides: { ranker: { dynamic_batching: { max_queue_delay_microseconds: 20 } }, rankr: { max_batch_size: 1 } },
  });
  const [dlrm, ranker] = [ok(scan.models[0]), ok(scan.models[1])];
  assert.equal(dlrm.config.maxBatchSize, 64);
  assert.equal(dlrm.config.batching.maxQueueDelayUs, 100);
  assert.equal(ranker.config.maxBatchSize, 16);
  assert.equal(ranker.config.batching.maxQueueDelayUs, 20);
  assert.deepEqual(scan.unusedOverrides, ['rankr']);
  const bad = await scanRepository(root, { overrides: { dlrm: { max_batch_size: -1 } } });
  assert.equal(errorOf(bad.models[0]), '--model-override dlrm: max_batch_size must be a non-negative integer (got -1)');
  ok(bad.models[1]);
});

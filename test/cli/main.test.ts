// The infergate command as a user runs it: encode a KServe JSON request to FlatBuffers, decode a
// FlatBuffers response to JSON, and the refusal to serve on uWS's slow fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFlatRequest, encodeFlatError, encodeFlatResponse } from '../../src/protocol/flatbuffers-codec.js';
import { InferError } from '../../src/core/errors.js';
import { assertNativeUws, isNativeUws } from '../../src/server/uws-native.js';

const bin = fileURLToPath(new URL('../../../bin/infergate.js', import.meta.url));
const run = (args: string[], input?: string | Uint8Array, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [bin, ...args], { input, env, timeout: 30_000 });

test('encode: KServe JSON request -> FlatBuffers that decode to the same request', () => {
  const json = JSON.stringify({ id: 'r1', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data: [0.5, 1.5, -2] }] });
  const r = run(['encode', '--model', 'ranker'], json);
  assert.equal(r.status, 0, r.stderr.toString());
  const req = decodeFlatRequest(new Uint8Array(r.stdout));
  assert.equal(req.modelName, 'ranker');
  assert.equal(req.id, 'r1');
  assert.deepEqual(req.inputs[0]!.shape, [1, 3]);
  assert.deepEqual([...new Float32Array(req.inputs[0]!.data.slice().buffer)], [0.5, 1.5, -2]);
});

test('decode: FlatBuffers response -> KServe JSON, via files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infergate-cli-'));
  try {
    const scores = new Float32Array([0.25, 0.75]);
    writeFileSync(join(dir, 'resp.fb'), encodeFlatResponse({
      modelName: 'ranker', modelVersion: '1', id: 'x',
      outputs: [{ name: 'score', datatype: 'FP32', shape: [2, 1], data: new Uint8Array(scores.buffer) }],
    }));
    const r = run(['decode', '--in', join(dir, 'resp.fb'), '--out', join(dir, 'resp.json')]);
    assert.equal(r.status, 0, r.stderr.toString());
    const j = JSON.parse(readFileSync(join(dir, 'resp.json'), 'utf8')) as { model_name: string; outputs: { shape: number[]; data: number[] }[] };
    assert.equal(j.model_name, 'ranker');
    assert.deepEqual(j.outputs[0]!.shape, [2, 1]);
    assert.deepEqual(j.outputs[0]!.data, [0.25, 0.75]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input to encode is a clear error and exit status 2', () => {
  const r = run(['encode', '--model', 'ranker'], '{"inputs": [{"name": "x"');
  assert.equal(r.status, 2);
  assert.match(r.stderr.toString(), /infergate encode: .*JSON/i);
  const u = run(['frobnicate']);
  assert.equal(u.status, 2);
  assert.match(u.stderr.toString(), /unknown command "frobnicate"/);
});

test('the uWS fallback implementation is detected and refused', () => {
  assert.equal(isNativeUws({ App() {}, H3App() {}, getParts() {} }), true);
  assert.equal(isNativeUws({ App() {} }), false);
  assert.throws(() => assertNativeUws({ App() {} }), /refuses to serve on the fallback/);
  // End to end: UWS_USE_FALLBACK makes the package load its pure-Node fallback; serve must refuse.
  const dir = mkdtempSync(join(tmpdir(), 'infergate-fb-'));
  try {
    const r = run(['serve', '--model-repository', dir, '--port', '0'], undefined, { ...process.env, UWS_USE_FALLBACK: '1' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.toString(), /refuses to serve on the fallback/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('polish: --version, help that names itself and exits 0, unknown subcommands, decode of an error exits 1', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout.toString(), `infergate ${pkg.version}\n`);
  const bench = run(['bench', '--help']);
  assert.equal(bench.status, 0);
  for (const sub of ['sweep', 'load']) assert.match(bench.stdout.toString(), new RegExp(`^  ${sub} `, 'm'));
  const load = run(['bench', 'load', '--help']);
  assert.equal(load.status, 0, load.stderr.toString());
  assert.match(load.stdout.toString(), /^usage: infergate bench load /);
  const unknown = run(['bench', 'nope']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr.toString(), /unknown command "nope"/);
  assert.match(run(['encode', '--help']).stdout.toString(), /--model is required unless the JSON\s+names its model/);
  const error = run(['decode'], encodeFlatError(new InferError('IG_MODEL_NOT_FOUND', 'unknown model "x"'), 'id1', 'x'));
  assert.equal(error.status, 1, 'an error response decodes, and the exit status says it was one');
  assert.deepEqual(JSON.parse(error.stdout.toString()), { error: 'unknown model "x"', code: 'IG_MODEL_NOT_FOUND' });
});

// ONNX backend conformance THROUGH THE GATEWAY: every node/ model of the suite goes into ONE
// model repository (<repo>/<case>/1/model.onnx, no config.json: max_batch_size 0, the request's
// shapes go to the model as they are), ONE gateway serves them all, and every case is sent as a
// KServe v2 request over HTTP and its answer compared with the suite's expected outputs.
//
// Encoding: KServe v2 JSON (BYTES as strings, FP16 as numbers, INT64 beyond 2^53 as decimal
// strings). JSON cannot carry every value, so those travel with the binary extension instead:
//   - an input holding NaN, +-Infinity (not JSON) or -0 (the JSON writer drops its sign) is sent
//     as binary data (the request then carries Inference-Header-Content-Length);
//   - an output whose expected INT64/UINT64 values go beyond +-2^53 is asked for as binary data
//     (JSON responses write 64-bit integers as numbers, as Triton does, which rounds them).
//
// Every case that the in-process reference passes (all but known-failures.json's; unstable
// 'environment' cases are run on the reference here first) must pass through the gateway,
// except those listed, with the reason, in gateway-exceptions.json, which this test asserts
// exactly. 'random' cases must answer 200, their values are not compared.
// Regenerate the list after a deliberate change:
//   npx tsc -p tsconfig.json && UPDATE_GATEWAY_EXCEPTIONS=1 node scripts/run-tests.mjs gateway-backend
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeTensor } from '../../src/runtime/types.js';
import type { InferRequest, WireTensor } from '../../src/core/types.js';
import { kserveToOrt, ortToKserve, packBytes, typedArrayToBytes, bytesToTypedArray, unpackBytesToStrings } from '../../src/core/datatypes.js';
import { requestJsonBytes, decodeJsonResponse } from '../../src/protocol/kserve-client.js';
import { decodeBinaryResponse } from '../../src/protocol/binary-ext.js';
import { startTestGateway } from '../helpers/gateway.js';
import { listCases, readCase, type BackendCase } from './backend-cases.js';
import { compareTensor } from './compare.js';
import { firstLine, ortReference } from './runners.js';
import { fetchTestData, readKnownFailures, repoRoot } from './suite-data.js';

const exceptionsPath = join(repoRoot, 'test', 'conformance', 'gateway-exceptions.json');
interface GatewayExceptions { description: string; failures: Record<string, string> }

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Values JSON (as the client writes it) cannot carry: NaN, +-Infinity, -0. */
function jsonCannotCarry(t: RuntimeTensor): boolean {
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array).some((b) => (b & 0x7c00) === 0x7c00 || b === 0x8000);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return false;
  return Array.from(t.data as Float32Array | Float64Array).some((v) => !Number.isFinite(v) || Object.is(v, -0));
}

function beyondSafeInt(t: RuntimeTensor): boolean {
  if (t.dtype !== 'int64' && t.dtype !== 'uint64') return false;
  return Array.from(t.data as BigInt64Array | BigUint64Array).some((v) => v > SAFE || v < -SAFE);
}

function toWire(name: string, t: RuntimeTensor): WireTensor {
  if (t.dtype === 'string') return { name, datatype: 'BYTES', shape: [...t.shape], data: packBytes(t.data as string[]) };
  return { name, datatype: ortToKserve(t.dtype), shape: [...t.shape], data: typedArrayToBytes(t.data as ArrayBufferView) };
}

function fromWire(t: WireTensor): RuntimeTensor {
  if (t.datatype === 'BYTES') return { dtype: 'string', shape: [...t.shape], data: unpackBytesToStrings(t.data) };
  const view = bytesToTypedArray(t.datatype, t.data);
  return { dtype: kserveToOrt(t.datatype), shape: [...t.shape], data: view.slice() as RuntimeTensor['data'] };
}

interface Sent { binaryInputs: number; binaryOutputs: number }

/** Sends one case; returns the failure reason, or null when every output matches (or, with
 *  compare false, when the gateway answered). */
async function sendCase(url: string, c: BackendCase, compare: boolean, sent: Sent): Promise<string | null> {
  const inputs = Object.entries(c.inputs).map(([name, t]) => toWire(name, t));
  const binaryInputs = new Set(Object.entries(c.inputs).filter(([, t]) => jsonCannotCarry(t)).map(([n]) => n));
  const outputs = Object.entries(c.expected).map(([name, t]) => (beyondSafeInt(t) ? { name, binaryData: true } : { name }));
  sent.binaryInputs += binaryInputs.size;
  sent.binaryOutputs += outputs.filter((o) => o.binaryData).length;
  const req: InferRequest = { modelName: c.name, modelVersion: '', id: c.name, timeoutUs: 0, priority: 0, parameters: {}, inputs, outputs };
  const json = requestJsonBytes(req, binaryInputs.size > 0 ? binaryInputs : null);
  let body: Uint8Array = json;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (binaryInputs.size > 0) {
    const parts = [json, ...inputs.filter((t) => binaryInputs.has(t.name)).map((t) => t.data)];
    body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      body.set(p, at);
      at += p.byteLength;
    }
    headers['Content-Type'] = 'application/octet-stream';
    headers['Inference-Header-Content-Length'] = String(json.byteLength);
  }
  const r = await fetch(`${url}/v2/models/${c.name}/infer`, { method: 'POST', body, headers });
  const bytes = new Uint8Array(await r.arrayBuffer());
  if (r.status !== 200) {
    const text = new TextDecoder().decode(bytes);
    let message = text;
    try {
      message = (JSON.parse(text) as { error: string }).error;
    } catch { /* not JSON: keep the text */ }
    return `HTTP ${r.status}: ${firstLine(message)}`;
  }
  const headerLength = r.headers.get('inference-header-content-length');
  const resp = headerLength !== null ? decodeBinaryResponse(bytes, Number(headerLength)) : decodeJsonResponse(bytes);
  if (!compare) return null;
  for (const [name, want] of Object.entries(c.expected)) {
    const got = resp.outputs.find((o) => o.name === name);
    const diff = got ? compareTensor(name, fromWire(got), want) : `output '${name}' missing`;
    if (diff !== null) return diff;
  }
  return null;
}

interface GatewayResult {
  cases: number;
  checked: number;
  passed: number;
  failures: Map<string, string>;
  notReady: number;
  /** Models READY although the default warm-up on zeros failed (best effort). */
  warmupWarnings: number;
  sent: Sent;
  loadSeconds: number;
  sendSeconds: number;
  seconds: number;
}

async function runThroughGateway(): Promise<GatewayResult> {
  const t0 = performance.now();
  const nodeDir = await fetchTestData();
  const { failures: known, unstable } = readKnownFailures();
  const names = listCases(nodeDir);
  const repo = mkdtempSync(join(tmpdir(), 'infergate-onnx-suite-'));
  for (const name of names) {
    mkdirSync(join(repo, name, '1'), { recursive: true });
    copyFileSync(join(nodeDir, name, 'model.onnx'), join(repo, name, '1', 'model.onnx'));
  }
  const result: GatewayResult = {
    cases: names.length, checked: 0, passed: 0, failures: new Map(), notReady: 0, warmupWarnings: 0,
    sent: { binaryInputs: 0, binaryOutputs: 0 }, loadSeconds: 0, sendSeconds: 0, seconds: 0,
  };
  const gw = await startTestGateway(repo, { workers: 1 });
  const t1 = performance.now();
  result.loadSeconds = (t1 - t0) / 1000;
  result.warmupWarnings = gw.logs.filter((l) => / warning: warm-up /.test(l)).length;
  try {
    for (const name of names) {
      if (!gw.manager.modelReady(name, '')) result.notReady++;
      if (name in known) continue;
      const c = readCase(nodeDir, name);
      if (!('modelBytes' in c)) throw new Error(`${name} is unrunnable (${c.reason}) but not in known-failures.json`);
      const u = unstable[name];
      // An environment-dependent case counts only where the reference passes on this machine.
      if (u?.kind === 'environment' && await referenceFails(c)) continue;
      result.checked++;
      const failure = await sendCase(gw.url, c, u?.kind !== 'random', result.sent);
      if (failure === null) result.passed++;
      else result.failures.set(name, failure);
    }
  } finally {
    result.sendSeconds = (performance.now() - t1) / 1000;
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

async function referenceFails(c: BackendCase): Promise<boolean> {
  try {
    const out = await ortReference.runOnce(c.modelBytes, c.inputs, Object.keys(c.expected));
    return Object.entries(c.expected).some(([n, want]) => !out[n] || compareTensor(n, out[n]!, want) !== null);
  } catch {
    return true;
  }
}

const suite = runThroughGateway();

test('ONNX backend suite through one gateway: summary', async () => {
  const r = await suite;
  console.log(`[gateway-conformance] ${r.cases} models in one repository: loaded in ${r.loadSeconds.toFixed(1)} s (${r.notReady} not ready, ${r.warmupWarnings} ready after a failed warm-up on zeros), ` +
    `cases sent in ${r.sendSeconds.toFixed(1)} s, ${r.seconds.toFixed(1)} s in all`);
  console.log(`[gateway-conformance] ${r.passed} of ${r.checked} reference-passing cases pass through the gateway; ` +
    `${r.failures.size} exceptions; binary extension used for ${r.sent.binaryInputs} inputs and ${r.sent.binaryOutputs} outputs`);
  assert.ok(r.cases > 500, `only ${r.cases} cases found: is the test data complete?`);
  if (process.env['UPDATE_GATEWAY_EXCEPTIONS'] === '1') {
    const body: GatewayExceptions = {
      description: 'ONNX backend node/ cases that onnxruntime passes in-process but that fail through the gateway (KServe v2 over HTTP), '
        + 'with the reason. Regenerate: UPDATE_GATEWAY_EXCEPTIONS=1 node scripts/run-tests.mjs gateway-backend',
      failures: Object.fromEntries([...r.failures].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
    writeFileSync(exceptionsPath, `${JSON.stringify(body, null, 2)}\n`);
    console.log(`[gateway-conformance] wrote ${exceptionsPath}`);
  }
});

test('every reference-passing case passes through the gateway, but the listed exceptions', async () => {
  const r = await suite;
  const listed = (JSON.parse(readFileSync(exceptionsPath, 'utf8')) as GatewayExceptions).failures;
  assert.deepEqual(Object.fromEntries(r.failures), listed, 'the gateway failures drifted from test/conformance/gateway-exceptions.json');
  assert.equal(r.passed + r.failures.size, r.checked);
});

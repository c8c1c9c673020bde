// Logs as an SRE's collector sees them: JSON lines with level names; every 5xx with its request
// id and reason (faults at error, retryable overload/lifecycle at warn); 4xx only at debug;
// model loads and unloads with their timings; and no line at all per successful request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../fixtures/onnx-builder.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { ADMIN_AUTH, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';
import { createLogger, prettyLine } from '../../src/observability/log.js';
import { logErrorAnswer } from '../../src/observability/request-log.js';
import { err } from '../../src/core/errors.js';

type Line = Record<string, unknown> & { level: string; msg: string; time: string };

function collector(level: 'debug' | 'info'): { lines: string[]; parsed: () => Line[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger(level, { format: 'json', write: (l) => void lines.push(l) });
  return { lines, log, parsed: () => lines.map((l) => JSON.parse(l) as Line) };
}

test('lines are JSON objects, one per line, with an ISO time, a level name, the message and the fields', () => {
  const c = collector('info');
  c.log.info('model m version 1: ready', { model: 'm', loadMs: 12 });
  c.log.debug('dropped at info');
  c.log.error('boom');
  assert.equal(c.lines.length, 2);
  for (const l of c.lines) assert.ok(l.endsWith('\n') && l.indexOf('\n') === l.length - 1, `one line each: ${JSON.stringify(l)}`);
  const [a, b] = c.parsed();
  assert.equal(a!.level, 'info');
  assert.equal(a!.msg, 'model m version 1: ready');
  assert.equal(a!['model'], 'm');
  assert.equal(a!['loadMs'], 12);
  assert.ok(!Number.isNaN(Date.parse(a!.time)), a!.time);
  assert.equal(b!.level, 'error');
  assert.equal(c.log.enabled!('debug'), false);
});

test('pretty lines are short and carry the fields', () => {
  const line = prettyLine('{"level":"warn","time":"2026-12-01T03:04:05.678Z","msg":"slow","model":"m","ms":3}\n');
  assert.equal(line, '03:04:05.678 warn  slow model=m ms=3\n');
  const lines: string[] = [];
  createLogger('info', { format: 'pretty', write: (l) => void lines.push(l) }).info('hello', { a: 1 });
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} info  hello a=1\n$/);
});

test('error answers: non-retryable 5xx at error, retryable 5xx at warn, 4xx at debug only', () => {
  const at = (level: 'debug' | 'info', e: ReturnType<typeof err>): Line[] => {
    const c = collector(level);
    logErrorAnswer(c.log, { error: e, transport: 'http', method: 'POST', url: '/v2/models/m/infer', model: 'm', requestId: 'r1' });
    return c.parsed();
  };
  assert.equal(at('info', err('IG_INFERENCE_FAILED', 'ORT said no'))[0]!.level, 'error');
  assert.equal(at('info', err('IG_QUEUE_FULL', 'full'))[0]!.level, 'warn');
  assert.deepEqual(at('info', err('IG_BAD_TENSOR', 'bad')), []);
  const debug = at('debug', err('IG_BAD_TENSOR', 'bad'))[0]!;
  assert.equal(debug.level, 'debug');
  assert.equal(debug['status'], 400);
  assert.equal(debug['requestId'], 'r1');
  const internal = at('info', err('IG_INTERNAL', 'bug', { cause: new TypeError('x is undefined') }))[0]!;
  assert.match(String(internal['stack']), /TypeError: x is undefined/);
});

let gw: TestGateway;
let repo: string;
const c = collector('info');

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-log-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64 });
  // Range with delta 0: ONNX Runtime fails the run, a real 500.
  writeModel(repo, 'range', buildModel({
    inputs: ['start', 'limit', 'delta'].map((name) => ({ name, dtype: 'float32' as const, shape: [] })),
    outputs: [{ name: 'y', dtype: 'float32', shape: [null] }],
    nodes: [{ op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['y'] }],
  }));
  gw = await startTestGateway(repo, { workers: 1, modelControlMode: 'explicit', log: c.log });
});

after(async () => {
  await gw.close();
  rmSync(repo, { recursive: true, force: true });
});

const rankerBody = (id: string): string =>
  JSON.stringify({ id, inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Array(128).fill(0.25) }] });

test('a gateway logs loads with timings, every 5xx with its id and reason, and nothing per success', async () => {
  const loaded = c.parsed().find((l) => l['model'] === 'ranker' && typeof l['loadMs'] === 'number');
  assert.ok(loaded, `a load line with loadMs: ${c.lines.join('')}`);
  assert.equal(loaded.level, 'info');

  const before200 = c.lines.length;
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', body: rankerBody(`ok-${i}`) });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  assert.equal(c.lines.length, before200, `successful requests wrote lines: ${c.lines.slice(before200).join('')}`);

  // A 400 is the client's: not at info.
  const bad = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', body: '{"id":"bad-1","inputs":[]}' });
  assert.equal(bad.status, 400);
  assert.equal(c.lines.length, before200, 'a 4xx is logged at debug only');

  // A real fault: ONNX Runtime fails the run (500, error level).
  const zero = { datatype: 'FP32', shape: [], data: [0] };
  const r500 = await fetch(`${gw.url}/v2/models/range/infer`, {
    method: 'POST',
    body: JSON.stringify({ id: 'req-500', inputs: [{ name: 'start', ...zero }, { name: 'limit', ...zero, data: [4] }, { name: 'delta', ...zero }] }),
  });
  assert.equal(r500.status, 500);
  const fault = c.parsed().find((l) => l['requestId'] === 'req-500');
  assert.ok(fault, `no line for req-500: ${c.lines.join('')}`);
  assert.equal(fault.level, 'error');
  assert.equal(fault['status'], 500);
  assert.equal(fault['model'], 'range');
  assert.equal(fault['code'], (await r500.json() as { code: string }).code);
  assert.ok(typeof fault['reason'] === 'string' && fault['reason'].length > 0);

  // Unload, then a request for it: 503 (retryable) at warn with its id; the unload has a timing.
  assert.equal((await fetch(`${gw.url}/v2/repository/models/ranker/unload`, { method: 'POST', headers: ADMIN_AUTH })).status, 200);
  const unloaded = c.parsed().find((l) => l['model'] === 'ranker' && typeof l['unloadMs'] === 'number');
  assert.ok(unloaded, `an unload line with unloadMs: ${c.lines.join('')}`);
  const r503 = await fetch(`${gw.url}/v2/models/ranker/infer`, { method: 'POST', body: rankerBody('req-503') });
  assert.equal(r503.status, 503);
  const shed = c.parsed().find((l) => l['requestId'] === 'req-503');
  assert.ok(shed, `no line for req-503: ${c.lines.join('')}`);
  assert.equal(shed.level, 'warn');
  assert.equal(shed['code'], 'IG_MODEL_NOT_READY');
  assert.match(String(shed['reason']), /ranker/);
  // Every line written is one JSON object.
  for (const l of c.lines) assert.doesNotThrow(() => JSON.parse(l), l);
});

test('a logger that throws never costs the caller its error answer', async () => {
  const repo2 = mkdtempSync(join(tmpdir(), 'infergate-log-broken-'));
  writeModel(repo2, 'ranker', buildRanker(), { max_batch_size: 8 });
  const boom = (): void => { throw new Error('stderr is closed'); };
  const gw2 = await startTestGateway(repo2, { workers: 1, log: { debug: boom, info() {}, warn: boom, error: boom } });
  try {
    const r = await fetch(`${gw2.url}/v2/models/ranker/infer`, { method: 'POST', body: '{"inputs": [' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-infergate-error'), 'IG_BAD_JSON');
    const metrics = await (await fetch(`${gw2.url}/metrics`)).text();
    assert.match(metrics, /^infergate_log_failures_total 1$/m);
  } finally {
    await gw2.close();
    rmSync(repo2, { recursive: true, force: true });
  }
});

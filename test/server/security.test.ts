// Security at the HTTP edge (README "Threat model"): model control is off by default and, when
// on, needs the admin bearer token (401 + WWW-Authenticate otherwise); a bad model name is a
// 400, never a 500, and leaves nothing behind; no response carries a stack trace or a file
// path, whatever error path it took.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WsConnection } from '../../bench/loadgen/ws-conn.js';
import { makeTestRepo } from '../helpers/fixtures.js';
import { ADMIN_AUTH, startTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { encodeFlatRequest } from '../../src/protocol/flatbuffers-codec.js';
import { bearerCheck } from '../../src/server/admin-auth.js';
import { Redactor } from '../../src/server/public-error.js';
import { probe } from '../../scripts/probe-http-edge.js';

let gw: TestGateway;
let off: TestGateway;
let repo: string;

before(async () => {
  repo = makeTestRepo().repo;
  // A model whose config.json is not JSON, and one without a model file: load errors that
  // would name files.
  mkdirSync(join(repo, 'badconfig', '1'), { recursive: true });
  writeFileSync(join(repo, 'badconfig', 'config.json'), '{not json');
  mkdirSync(join(repo, 'nofile', '1'), { recursive: true });
  gw = await startTestGateway(repo, { workers: 1, modelControlMode: 'explicit' });
  off = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw?.close();
  await off?.close();
  rmSync(repo, { recursive: true, force: true });
});

const post = (g: TestGateway, path: string, init: RequestInit = {}): Promise<Response> => fetch(`${g.url}${path}`, { method: 'POST', ...init });

test('model control is off by default: load and unload are 404 even with the token', async () => {
  for (const action of ['load', 'unload']) {
    const r = await post(off, `/v2/repository/models/ranker/${action}`, { headers: ADMIN_AUTH });
    assert.equal(r.status, 404, action);
    assert.match(await r.text(), /model control is disabled/);
  }
});

test('with model control on, load and unload need the bearer token: 401 with WWW-Authenticate otherwise', async () => {
  const cases: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong-token-0123456789' }, { Authorization: `Basic ${TEST_ADMIN_TOKEN}` },
    { Authorization: `Bearer ${TEST_ADMIN_TOKEN}x` }, { Authorization: `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}` }, { Authorization: 'Bearer' }];
  for (const headers of cases) {
    for (const action of ['load', 'unload']) {
      const r = await post(gw, `/v2/repository/models/ranker/${action}`, { headers });
      assert.equal(r.status, 401, `${action} ${JSON.stringify(headers)}`);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="infergate"');
      assert.equal(r.headers.get('x-infergate-error'), 'IG_UNAUTHORIZED');
    }
  }
  // Nothing happened: the model still serves.
  assert.equal((await fetch(`${gw.url}/v2/models/ranker/ready`)).status, 200);
  // The scheme is case-insensitive (RFC 9110); the right token works.
  assert.equal((await post(gw, '/v2/repository/models/ranker/load', { headers: { Authorization: `bearer ${TEST_ADMIN_TOKEN}` } })).status, 200);
});

test('the token check: constant-time comparison of digests; no token configured refuses everything', () => {
  const check = bearerCheck('s3cret-token-0123456789');
  assert.equal(check('Bearer s3cret-token-0123456789'), undefined);
  assert.equal(check('Bearer s3cret-token-012345678')?.code, 'IG_UNAUTHORIZED');
  assert.equal(check(undefined)?.code, 'IG_UNAUTHORIZED');
  assert.equal(bearerCheck(undefined)('Bearer anything')?.code, 'IG_UNAUTHORIZED');
  assert.equal(bearerCheck('')('Bearer ')?.code, 'IG_UNAUTHORIZED');
});

test('bad model names are 400 (never 500) on every model route, and load leaves no entry behind', async () => {
  // (A raw or %2e-encoded ".." segment never arrives: clients resolve dot segments.)
  const bad = ['..%2F..%2Fetc%2Fpasswd', '..%2f', 'a%00b', 'a%0d%0aX-Injected:%201', 'x'.repeat(129), 'x'.repeat(3000), '.hidden', 'a%2Fb', 'sp%20ace'];
  for (const name of bad) {
    for (const [method, path] of [['POST', `/v2/repository/models/${name}/load`], ['POST', `/v2/repository/models/${name}/unload`],
      ['POST', `/v2/models/${name}/infer`], ['GET', `/v2/models/${name}`], ['GET', `/v2/models/${name}/ready`],
      ['GET', `/v2/models/${name}/config`], ['GET', `/v2/models/${name}/stats`]] as const) {
      const r = await fetch(`${gw.url}${path}`, { method, headers: ADMIN_AUTH, ...(method === 'POST' ? { body: '{}' } : {}) });
      assert.equal(r.status, 400, `${method} ${path.slice(0, 80)}: ${r.status} ${await r.clone().text()}`);
      assert.equal(r.headers.get('x-infergate-error'), 'IG_BAD_REQUEST');
      const text = await r.text();
      assert.ok(text.length < 600, 'an overlong name is not echoed whole');
    }
  }
  // A valid name that is not in the repository: 404, and still nothing in the index.
  assert.equal((await post(gw, '/v2/repository/models/not_here/load', { headers: ADMIN_AUTH })).status, 404);
  const index = await (await post(gw, '/v2/repository/index')).json() as { name: string }[];
  assert.deepEqual(index.map((e) => e.name).filter((n) => !['broken', 'ranker', 'ranker_fixed', 'badconfig', 'nofile'].includes(n)), []);
});

/** What a response must never contain: the repository's path, any absolute file path, a stack
 *  frame, a source location. */
function assertClean(what: string, text: string): void {
  assert.ok(!text.includes(repo), `${what} names the repository path: ${text}`);
  assert.doesNotMatch(text, /(?:^|[^\w<])\/(?:tmp|home|usr|var|opt|root|etc|work|proc|srv|mnt)\//, `${what} names a file path: ${text}`);
  assert.doesNotMatch(text, /\n\s+at |file:\/\/|node_modules|\.(?:ts|js|cc|h):\d+/, `${what} carries a stack or a source location: ${text}`);
}

test('no response carries a stack trace or a file path, whatever the error path', async () => {
  const flat = encodeFlatRequest({ modelName: 'broken', modelVersion: '', id: 'q', timeoutUs: 0, priority: 0, parameters: {}, outputs: [],
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: new Uint8Array(4) }] });
  const requests: [string, string, RequestInit?][] = [
    ['GET', '/v2/models/broken'], ['GET', '/v2/models/broken/config'], ['GET', '/v2/models/badconfig'], ['GET', '/v2/models/nofile'],
    ['GET', '/v2/models/broken/versions/7'], ['GET', '/v2/models/nope'], ['GET', '/nope/deeper/path'], ['DELETE', '/v2/models/ranker'],
    ['POST', '/v2/models/broken/infer', { body: '{"inputs":[]}' }],
    ['POST', '/v2/models/broken/infer', { body: flat, headers: { 'Content-Type': 'application/x-flatbuffers' } }],
    ['POST', '/v2/models/ranker/infer', { body: '{"inputs":' }],
    ['POST', '/v2/models/ranker/infer', { body: '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,128],"data":"x"}]}' }],
    ['POST', '/v2/models/ranker/infer', { body: '{"inputs":[{"name":"features","datatype":"FP32","shape":[1e300,128],"data":[]}]}' }],
    ['POST', '/v2/models/ranker/infer', { body: 'garbage', headers: { 'Content-Type': 'application/x-flatbuffers' } }],
    ['POST', '/v2/models/ranker/infer', { body: 'x', headers: { 'Content-Type': 'text/plain' } }],
    ['POST', '/v2/repository/models/broken/load', { headers: ADMIN_AUTH }],
    ['POST', '/v2/repository/models/badconfig/load', { headers: ADMIN_AUTH }],
    ['POST', '/v2/repository/models/nofile/load', { headers: ADMIN_AUTH }],
    ['POST', '/v2/repository/models/nope/unload', { headers: ADMIN_AUTH }],
    ['POST', '/v2/repository/index', { body: '{bad' }],
    ['POST', '/v2/repository/index'],
  ];
  let errors = 0;
  for (const [method, path, init] of requests) {
    const r = await fetch(`${gw.url}${path}`, { method, ...init });
    const text = Buffer.from(await r.arrayBuffer()).toString('latin1');
    if (r.status >= 400) errors++;
    assertClean(`${method} ${path} (${r.status})`, text);
  }
  // All but the two 200s (the broken model's config, the index) are errors.
  assert.equal(errors, requests.length - 2, 'the error paths were taken');
  // The index lists the broken models with their reasons, cleaned.
  const index = await (await post(gw, '/v2/repository/index')).text();
  assert.match(index, /badconfig/);
  // The WebSocket stream's error frames too.
  const frames: string[] = [];
  let gotBoth!: () => void;
  const got = new Promise<void>((resolve) => { gotBoth = resolve; });
  const conn = await WsConnection.connect('127.0.0.1', gw.port, '/v2/stream', {
    onMessage(payload) {
      frames.push(Buffer.from(payload).toString('latin1'));
      if (frames.length === 2) gotBoth();
    },
    onClose() {},
  });
  conn.sendBinary(flat.byteLength, (p) => p.set(flat));
  conn.sendBinary(8, (p) => p.set([1, 2, 3, 4, 5, 6, 7, 8]));
  await got;
  conn.close();
  for (const f of frames) assertClean('a stream error frame', f);
  // The raw HTTP edge: a rejected head.
  const raw = await probe('127.0.0.1', gw.port, 'POST /v2/models/ranker/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}');
  assertClean('a rejected head', raw.raw);
});

test('the redactor: the repository becomes <repository>, other absolute paths <path>, stack frames go; routes stay', () => {
  const r = new Redactor('/srv/models/');
  assert.equal(r.text('Load model from /srv/models/m/1/model.onnx failed'), 'Load model from <repository>/m/1/model.onnx failed');
  assert.equal(r.text('open /etc/shadow: EACCES'), 'open <path>: EACCES');
  assert.equal(r.text('see file:///home/u/x.js'), 'see <path>');
  assert.equal(r.text('boom\n    at f (/app/dist/x.js:1:2)\n    at g (node:internal/y:3:4)'), 'boom');
  assert.equal(r.text('no route for GET /v2/models/x/infer'), 'no route for GET /v2/models/x/infer');
  assert.equal(r.error(new Error('at /opt/x/y')).code, 'IG_INTERNAL');
});

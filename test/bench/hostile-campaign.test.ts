// The hostile-input campaign, fast mode (issue 16, point 4): 21,000 seeded cases through the
// decoders in-process and 3,000 over real sockets (HTTP bodies in every format, mutated request
// heads, WebSocket frames) to a real gateway: zero crashes, hangs or 5xx, RSS bounded, and the
// gateway healthy afterwards. The long mode (npm run hostile:long, >= 1,000,000 cases) is the
// same code with more cases; its results live under bench/results/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';
import { runInProcess } from '../../bench/hostile/in-process.js';
import { runSockets } from '../../bench/hostile/sockets.js';

let gw: TestGateway;
let repo: string;
const MIB = 1024 * 1024;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'infergate-hostile-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64 });
  gw = await startTestGateway(repo, { workers: 1 });
});

after(async () => {
  await gw?.close();
  rmSync(repo, { recursive: true, force: true });
});

test('campaign, decoders in-process: 21,000 cases, each a request or an InferError below 500, none slow', { timeout: 120_000 }, (t) => {
  const r = runInProcess(21_000, 16);
  t.diagnostic(JSON.stringify({ ...r.byTarget, slowestCaseMs: Number(r.slowestCaseMs.toFixed(1)) }));
  assert.deepEqual(r.failures.slice(0, 5), []);
  for (const [name, tally] of Object.entries(r.byTarget)) {
    assert.equal(tally.cases, 7000, name);
    // Both outcomes, or the mutations are not reaching the decoders' interesting paths.
    assert.ok(tally.decoded > 100 && tally.refused > 1000, `${name}: ${JSON.stringify(tally)}`);
  }
});

test('campaign over sockets: 3,000 cases to a real gateway; no 5xx, no hang, RSS bounded, healthy after', { timeout: 180_000 }, async (t) => {
  const rss0 = process.memoryUsage.rss();
  const r = await runSockets({ port: gw.port, cases: 3000, seed: 16 });
  const growth = process.memoryUsage.rss() - rss0;
  t.diagnostic(JSON.stringify(r.byTarget));
  t.diagnostic(`RSS +${(growth / MIB).toFixed(0)} MiB`);
  assert.deepEqual(r.failures.slice(0, 5), []);
  const total = Object.values(r.byTarget).reduce((n, x) => n + x.cases, 0);
  assert.equal(total, 3000);
  // The body cases reached both answers: decoded and run (2xx), refused (4xx).
  assert.ok((r.byTarget['http-json']!.statuses['2xx'] ?? 0) > 0 && (r.byTarget['http-json']!.statuses['4xx'] ?? 0) > 100);
  assert.ok((r.byTarget['ws']!.statuses['frames'] ?? 0) > 300);
  assert.ok(growth < 256 * MIB, `RSS grew ${(growth / MIB).toFixed(0)} MiB`);
  assert.equal((await fetch(`${gw.url}/v2/health/ready`)).status, 200);
  const ok = await fetch(`${gw.url}/v2/models/ranker/infer`, {
    method: 'POST', body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: new Array(128).fill(0.5) }] }),
  });
  assert.equal(ok.status, 200);
});

// The load generator against a live gateway (bin/infergate.js serve on the demo repository,
// started the way the bench suite starts it): its count of answered requests must equal the
// gateway's own success counter, over every protocol the gateway speaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePrometheus } from '../../bench/loadgen/metrics-scrape.js';
import { DEFAULT_OPTIONS, validateOptions, type Protocol } from '../../bench/loadgen/options.js';
import { runLoad } from '../../bench/loadgen/runner.js';
import { startGateway } from '../../bench/harness/processes.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

async function successTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return parsePrometheus(text).filter((s) => s.name === 'infergate_request_success_total' && s.labels['model'] === 'ranker').reduce((a, s) => a + s.value, 0);
}

test('loadgen vs a live gateway: sent = answered + errors, and answered = the gateway\'s success count', { timeout: 120_000 }, async () => {
  const gw = await startGateway(root, 'models', 'ranker', ['--workers', '1']);
  try {
    let expected = await successTotal(gw.url);
    for (const protocol of ['flatbuffers', 'json', 'binary', 'ws'] as Protocol[]) {
      const r = await runLoad(validateOptions({ ...DEFAULT_OPTIONS, url: gw.url, protocol, workload: 'k1', mode: 'closed',
        concurrency: 8, durationS: 0.5, warmupS: 0, quiet: true }));
      assert.equal(r.target.discoveredFrom, 'metadata', 'input name and width come from GET /v2/models/ranker');
      assert.ok(r.counts.sent > 20, `${protocol}: too few requests (${r.counts.sent})`);
      assert.equal(r.counts.sent, r.counts.answered + r.counts.errors, protocol);
      assert.deepEqual(r.counts.errorsByStatus, {}, `${protocol}: no errors expected`);
      assert.ok(r.server !== null, `${protocol}: /metrics was read`);
      assert.ok(r.server.batchSize !== null && r.server.batchSize.batches > 0, `${protocol}: batch sizes were read`);
      expected += r.counts.answered;
      assert.equal(await successTotal(gw.url), expected, `${protocol}: the gateway counted exactly the answered requests`);
    }
  } finally {
    await gw.stop();
  }
});

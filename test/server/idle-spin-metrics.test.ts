// A gateway with idle spinners: requests touch them, /metrics reports their thread count and
// their spin time (so an SRE can subtract it from process CPU), and closing stops them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { idleSpin } from '../../src/runtime/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { makeTestRepo, seededRows } from '../helpers/fixtures.js';

const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} exported`);
  return Number(m[1]);
};

test('/metrics reports the idle spinners, and every request keeps them spinning', async () => {
  const { repo } = makeTestRepo();
  const gw = await startTestGateway(repo, { workers: 1, idleSpin: { threads: 1, windowUs: 3000 } });
  try {
    const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
    assert.equal(metric(await scrape(), 'infergate_idle_spin_threads'), 1);
    const touches = idleSpin.stats().touches;
    const spunBefore = metric(await scrape(), 'infergate_idle_spin_seconds_total');
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${gw.url}/v2/models/ranker/infer`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 128], data: Array.from(seededRows(1, 128, i)) }] }),
      });
      assert.equal(r.status, 200);
    }
    assert.ok(idleSpin.stats().touches >= touches + 3, 'each request touched the spinners');
    // The spinner runs for the 3 ms window after each touch, then sleeps. The metric is its CPU
    // time, and at SCHED_IDLE it gets a CPU only in the gaps of a busy machine: keep it
    // touched while polling.
    let spun = 0;
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(5)) {
      idleSpin.touch();
      spun = metric(await scrape(), 'infergate_idle_spin_seconds_total') - spunBefore;
      if (spun >= 0.002) break;
    }
    assert.ok(spun >= 0.002 && spun < 5, `spin time after requests within reason (got ${spun} s)`);
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
  assert.equal(idleSpin.stats().threads, 0, 'closing the gateway stops the spinners');
});

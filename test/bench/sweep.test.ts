// The tuning sweep's pure parts: the grid and the recommendation rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSweepTable, gridOf, recommend, type SweepOptions, type SweepPoint } from '../../bench/sweep/sweep.js';

const base: SweepOptions = {
  repo: '/r', model: 'ranker', workload: 'k1', protocol: 'flatbuffers', concurrency: 64, rate: 0, p99BudgetUs: 2000,
  workers: [1, 2], intraOpThreads: [1], maxBatchSizes: [64, 1024], maxQueueDelaysUs: [0, 500], durationS: 1, warmupS: 0, outDir: '/tmp',
};

function point(p: Partial<SweepPoint>): SweepPoint {
  return { workers: 1, intraOpThreads: 1, maxBatchSize: 64, maxQueueDelayUs: 0, requestsPerS: 0, rowsPerS: 0, p50Us: 0, p99Us: 0,
    errors: 0, meanBatchRows: null, feasible: true, ...p };
}

test('the grid is the product of the option lists', () => {
  const g = gridOf(base);
  assert.equal(g.length, 8);
  assert.deepEqual(g[0], { workers: 1, intraOpThreads: 1, maxBatchSize: 64, maxQueueDelayUs: 0 });
  assert.deepEqual(g[7], { workers: 2, intraOpThreads: 1, maxBatchSize: 1024, maxQueueDelayUs: 500 });
});

test('the grid leaves out points that oversubscribe the cores', () => {
  const g = gridOf({ ...base, workers: [1, 2], intraOpThreads: [1, 2], maxBatchSizes: [64], maxQueueDelaysUs: [0], cores: 2 });
  assert.deepEqual(g.map((p) => [p.workers, p.intraOpThreads]), [[1, 1], [1, 2], [2, 1]]);
  assert.equal(gridOf({ ...base, workers: [1, 2], intraOpThreads: [1, 2], maxBatchSizes: [64], maxQueueDelaysUs: [0] }).length, 4);
});

test('recommend: most rows/s among feasible points; near-ties go to the lower p99', () => {
  const slowButFits = point({ rowsPerS: 10_000, p99Us: 900 });
  const fastButLate = point({ rowsPerS: 50_000, p99Us: 5000, feasible: false });
  const best = point({ rowsPerS: 20_000, p99Us: 1800 });
  const tie = point({ rowsPerS: 19_900, p99Us: 1200 });
  assert.equal(recommend([slowButFits, fastButLate, best]), best);
  assert.equal(recommend([slowButFits, best, tie]), tie);
  assert.equal(recommend([fastButLate]), undefined);
  const table = formatSweepTable([slowButFits, tie], tie);
  assert.match(table, /<= best/);
  assert.equal(table.split('\n').length, 3);
});

test('the grid\'s axes are settings rows: serve\'s flags, the rows\' ranges, the default delay among the points', async () => {
  const { parseAxisList, sweepAxes } = await import('../../bench/sweep/options.js');
  const { BATCHING_SETTINGS, SERVER_SETTINGS } = await import('../../src/core/settings/index.js');
  const { SERVE_OPTIONS } = await import('../../src/cli/options.js');
  const axes = sweepAxes(4);
  for (const a of axes) {
    assert.ok(SERVE_OPTIONS.some((o) => o.flag === a.setting.flag), `--${a.setting.flag!} is a serve flag`);
    for (const v of a.values) assert.deepEqual(parseAxisList(String(v), a.setting), [v]);
  }
  assert.deepEqual(axes.find((a) => a.field === 'workers')!.values, [1, 4]);
  // One worker of 4 threads is a point, as are 4 workers of one thread.
  assert.deepEqual(axes.find((a) => a.field === 'intraOpThreads')!.values, [1, 4]);
  assert.ok(axes.find((a) => a.field === 'maxQueueDelaysUs')!.values.includes(BATCHING_SETTINGS.maxQueueDelayUs.default));
  assert.deepEqual(parseAxisList('1, 8,', SERVER_SETTINGS.workers), [1, 8]);
  assert.throws(() => parseAxisList('0,2', SERVER_SETTINGS.workers), /^RangeError: --workers must be a comma-separated list of integers in 1\.\.256 \(got "0,2"\)$/);
  assert.throws(() => parseAxisList('', BATCHING_SETTINGS.maxQueueDelayUs), /--max-queue-delay-us must be/);
});

// Reading wrk's output for the suite's cross-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossCheckEntry, parseWrkDuration, parseWrkOutput } from '../../bench/harness/cross-check.js';

const WRK = `Running 3s test @ http://127.0.0.1:18001/infer
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   673.36us  437.60us   7.64ms   95.30%
  Latency Distribution
     50%  565.00us
     75%  618.00us
     90%  776.00us
     99%    3.03ms
  38165 requests in 3.00s, 6.08MB read
Requests/sec:  12711.22
Transfer/sec:      2.02MB
`;

test('wrk output: requests/s and the p50 in microseconds', () => {
  assert.deepEqual(parseWrkOutput(WRK), { requestsPerS: 12711.22, p50Us: 565 });
  assert.equal(parseWrkDuration('3.03ms'), 3030);
  assert.equal(parseWrkDuration('1.5s'), 1_500_000);
  assert.equal(parseWrkDuration('fast'), null);
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'), /no Requests\/sec line/);
});

test('cross-check entry: the difference is relative to wrk', () => {
  const c = crossCheckEntry('wrk ...', 't', { requestsPerS: 10_000, p50Us: 500 }, { requestsPerS: 11_000, p50Us: 480 });
  assert.ok(Math.abs(c.difference - 0.1) < 1e-12);
});

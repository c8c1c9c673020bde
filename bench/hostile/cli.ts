// The hostile-input campaign, long mode (npm run hostile:long): by default 1,000,000 cases, most
// fed to the decoders in-process and 50,000 sent over real sockets to an in-process gateway,
// then abort storms; writes bench/results/hostile-<date>.json. Exits 1 on any crash, hang or 5xx.
// The fast mode of the same campaign runs in npm test (test/bench/hostile-campaign.test.ts).
//   node dist/bench/hostile/cli.js [--cases N] [--socket-cases N] [--seed N] [--out FILE]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGateway } from '../../src/gateway.js';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { runInProcess, type InProcessResult } from './in-process.js';
import { runSockets } from './sockets.js';
import { abortStorms } from './abort-storm.js';
import { machineNote } from './machine.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`--${name} must be a non-negative integer (got "${process.argv[i + 1]}")`);
  return v;
}

const MIB = 1024 * 1024;

async function main(): Promise<number> {
  const cases = arg('cases', 1_000_000);
  const socketCases = arg('socket-cases', Math.min(50_000, Math.round(cases / 20)));
  const seed = arg('seed', 16);
  const outIdx = process.argv.indexOf('--out');
  const day = new Date().toISOString().slice(0, 10);
  const out = outIdx >= 0 ? process.argv[outIdx + 1]! : `bench/results/hostile-${day}.json`;

  const repo = mkdtempSync(join(tmpdir(), 'infergate-hostile-'));
  mkdirSync(join(repo, 'ranker', '1'), { recursive: true });
  writeFileSync(join(repo, 'ranker', '1', 'model.onnx'), buildRanker());
  writeFileSync(join(repo, 'ranker', 'config.json'), JSON.stringify({ max_batch_size: 64 }));
  const gw = await createGateway({
    modelRepository: repo, modelControlMode: 'none', exitOnError: true,
    pool: { workers: 2 }, server: { host: '127.0.0.1', port: 0, maxBodyBytes: 64 * MIB },
    log: { debug() {}, info() {}, warn: (l) => console.error(`warn: ${l}`), error: (l) => console.error(`error: ${l}`) },
  });
  const rss = (): number => process.memoryUsage.rss() / MIB;
  const t0 = performance.now();
  try {
    const rssStart = rss();
    // In-process cases in slices, so that RSS is sampled along the way.
    const inCases = cases - socketCases;
    const slices: InProcessResult[] = [];
    let rssPeak = rssStart;
    for (let done = 0, k = 0; done < inCases; k++) {
      const n = Math.min(100_000, inCases - done);
      slices.push(runInProcess(n, seed + k));
      done += n;
      rssPeak = Math.max(rssPeak, rss());
      await new Promise((r) => setImmediate(r));
    }
    const rssAfterDecoders = rss();
    const sockets = await runSockets({ port: gw.port, cases: socketCases, seed });
    const rssAfterSockets = rss();
    const health = (await fetch(`${gw.url}/v2/health/live`)).status;
    const storms = await abortStorms(gw.port, () => process.memoryUsage.rss());
    const inProcess = {
      cases: slices.reduce((n, s) => n + s.byTarget.flatbuffers.cases + s.byTarget.json.cases + s.byTarget.binary.cases, 0),
      byTarget: Object.fromEntries((['flatbuffers', 'json', 'binary'] as const).map((t) => [t, {
        cases: slices.reduce((n, s) => n + s.byTarget[t].cases, 0),
        decoded: slices.reduce((n, s) => n + s.byTarget[t].decoded, 0),
        refused: slices.reduce((n, s) => n + s.byTarget[t].refused, 0),
      }])),
      failures: slices.flatMap((s) => s.failures).slice(0, 100),
      slowestCaseMs: Math.max(...slices.map((s) => s.slowestCaseMs)),
    };
    const failures = inProcess.failures.length + sockets.failures.length + (health === 200 ? 0 : 1);
    const result = {
      kind: 'hostile-campaign', date: new Date().toISOString(), seed, machine: machineNote(),
      command: `node dist/bench/hostile/cli.js --cases ${cases} --socket-cases ${socketCases} --seed ${seed}`,
      totalCases: inProcess.cases + socketCases, durationS: (performance.now() - t0) / 1000,
      inProcess, sockets, healthAfter: health,
      rssMiB: { start: rssStart, peakDuringDecoders: rssPeak, afterDecoders: rssAfterDecoders, afterSockets: rssAfterSockets },
      abortStorms: storms,
      verdict: failures === 0 ? 'pass' : 'fail',
    };
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`${result.verdict}: ${result.totalCases} cases in ${result.durationS.toFixed(0)} s, ${failures} failures; RSS ${rssStart.toFixed(0)} -> ${rssAfterSockets.toFixed(0)} MiB; wrote ${out}`);
    return failures === 0 ? 0 : 1;
  } finally {
    await gw.close();
    rmSync(repo, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(2);
});

// Loading at scale: how start-up time and memory grow with the number of models (issue 15: "time
// linear in the model count; seconds and RSS per 100 small models"). For each N, a fresh child
// process builds a repository of N copies of a tiny model, starts a whole gateway on it through
// the composition root (server, pool, repository; default options but the workers), and reports
// the time until every model is READY and the process's RSS then. The slope over N (least
// squares) is the cost per 100 models; the N = 0 point is the empty gateway's own.
//   node dist/bench/repository/scale.js [--models 0,100,250,500,1000] [--workers 2] [--json OUT]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../test/fixtures/onnx-builder.js';
import { writeModel } from '../../test/helpers/fixtures.js';
import { createGateway } from '../../src/gateway.js';

interface Point { models: number; ready: number; loadS: number; rssMiB: number }

const MiB = 2 ** 20;

async function one(models: number, workers: number): Promise<Point> {
  const repo = mkdtempSync(join(tmpdir(), 'infergate-scale-'));
  const bytes = buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 4] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  for (let i = 0; i < models; i++) writeModel(repo, `m${String(i).padStart(4, '0')}`, bytes, { max_batch_size: 8 });
  const quiet = (): void => {};
  const t0 = performance.now();
  const gw = await createGateway({
    modelRepository: repo, modelControlMode: 'none', pool: { workers },
    server: { host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20 },
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet }, exitOnError: false,
  });
  const loadS = (performance.now() - t0) / 1000;
  const ready = gw.manager.readyModels().length;
  const rssMiB = process.memoryUsage().rss / MiB;
  await gw.close();
  rmSync(repo, { recursive: true, force: true });
  return { models, ready, loadS, rssMiB };
}

/** Least-squares slope and intercept of y over x. */
function fit(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const workers = Number(arg('--workers', '2'));
if (process.argv.includes('--one')) {
  process.stdout.write(JSON.stringify(await one(Number(arg('--one', '0')), workers)));
} else {
  const counts = arg('--models', '0,100,250,500,1000').split(',').map(Number);
  const self = fileURLToPath(import.meta.url);
  const points: Point[] = counts.map((n) => JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=64', self, '--one', String(n), '--workers', String(workers)], { encoding: 'utf8' })) as Point);
  const xs = points.map((p) => p.models);
  const time = fit(xs, points.map((p) => p.loadS));
  const rss = fit(xs, points.map((p) => p.rssMiB));
  console.log(`gateway start-up with N tiny models (x float32[N,4] -> Relu), ${workers} workers, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
  console.log('| models | READY | start-up s | RSS MiB |\n|---|---|---|---|');
  for (const p of points) console.log(`| ${p.models} | ${p.ready} | ${p.loadS.toFixed(2)} | ${p.rssMiB.toFixed(0)} |`);
  console.log(`per 100 models (least squares): ${(time.slope * 100).toFixed(2)} s and ${(rss.slope * 100).toFixed(1)} MiB; fixed part ${time.intercept.toFixed(2)} s, ${rss.intercept.toFixed(0)} MiB`);
  const out = arg('--json', '');
  if (out) writeFileSync(out, JSON.stringify({ workers, cores: cpus().length, points, perHundred: { seconds: time.slope * 100, rssMiB: rss.slope * 100 } }, null, 2));
}

// Memory of N workers vs 1 with the dlrm model (35 MB of embeddings) loaded: the process-wide
// session registry must keep ONE copy of the weights however many workers serve it.
// Issue 4's target: 4 workers use <= 1.2x the RSS of 1 worker.
// Usage: node dist/bench/memory/workers-rss.js [--workers 4] [--repeat 2]
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway } from '../harness/processes.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

async function measure(repo: string, workers: number): Promise<{ restKiB: number; loadedKiB: number }> {
  const server = await startGateway(ROOT, repo, 'dlrm', ['--workers', String(workers), '--log-level', 'warn']);
  try {
    // Every worker has run the warm-up batches (so each holds its session handle); serve a few
    // requests more so that steady-state buffers are counted too.
    const n = 8;
    const body = JSON.stringify({ inputs: [
      { name: 'dense', datatype: 'FP32', shape: [n, 13], data: new Array(n * 13).fill(0.5) },
      { name: 'sparse', datatype: 'INT64', shape: [n, 26], data: Array.from({ length: n * 26 }, (_, i) => (i * 7919) % 10000) },
    ] });
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${server.url}/v2/models/dlrm/infer`, { method: 'POST', body });
      if (r.status !== 200) throw new Error(`infer answered ${r.status}: ${await r.text()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    const restKiB = rssKiB(server.proc.pid!);
    // Then full batches from many clients at once, so every worker runs a 1024-row batch
    // concurrently: ORT's arena then holds one set of activations per in-flight batch.
    const big = 1024;
    const bigBody = JSON.stringify({ inputs: [
      { name: 'dense', datatype: 'FP32', shape: [big, 13], data: new Array(big * 13).fill(0.5) },
      { name: 'sparse', datatype: 'INT64', shape: [big, 26], data: Array.from({ length: big * 26 }, (_, i) => (i * 7919) % 10000) },
    ] });
    await Promise.all(Array.from({ length: workers * 4 }, () => fetch(`${server.url}/v2/models/dlrm/infer`, { method: 'POST', body: bigBody }).then((r) => r.arrayBuffer())));
    await new Promise((r) => setTimeout(r, 200));
    return { restKiB, loadedKiB: rssKiB(server.proc.pid!) };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const many = Number(args[args.indexOf('--workers') + 1] ?? 4) || 4;
  const repeat = Number(args[args.indexOf('--repeat') + 1] ?? 2) || 2;
  const repo = mkdtempSync(join(tmpdir(), 'infergate-rss-'));
  symlinkSync(join(ROOT, 'models', 'dlrm'), join(repo, 'dlrm'));
  try {
    const one: { restKiB: number; loadedKiB: number }[] = [];
    const n: { restKiB: number; loadedKiB: number }[] = [];
    for (let i = 0; i < repeat; i++) {
      one.push(await measure(repo, 1));
      n.push(await measure(repo, many));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
    for (const key of ['restKiB', 'loadedKiB'] as const) {
      const a = med(one.map((x) => x[key]));
      const b = med(n.map((x) => x[key]));
      const what = key === 'restKiB' ? 'at rest after warm-up' : `after ${many * 4} concurrent 1024-row requests`;
      console.log(`dlrm, ${what}: RSS 1 worker ${mib(a)}, ${many} workers ${mib(b)}, ratio ${(b / a).toFixed(3)}` +
        (key === 'restKiB' ? ' (target <= 1.2)' : ''));
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

await main();

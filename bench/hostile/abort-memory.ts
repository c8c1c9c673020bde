// Where the memory after abort storms is (issue 16, point 4): `infergate serve` in its own
// process, started as npm start does (MALLOC_MMAP_THRESHOLD_=131072) plus the variant given,
// then storm rounds (bench/hostile/abort-storm.ts: 200 clients abort mid-body, 200 mid-compute);
// after each round's settling pause, the server's RSS next to what V8 says it holds on the HTTP
// thread (heap reserved, heap used, external) from /metrics, and the process's anonymous memory
// from /proc/PID/smaps_rollup. What RSS holds beyond V8's heap and external memory is the
// allocator's (glibc arenas) and the threads' (worker heaps, stacks).
// Usage: node dist/bench/hostile/abort-memory.js [--rounds 4] [--settle-ms 10000] [--variant NAME]...
//   [--tree DIR (the gateway to start; default this one)] [--out FILE]
//   variants: documented, arena-max-2, semi-space-16, trim-threshold-0
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { writeModel } from '../../test/helpers/fixtures.js';
import { startGateway } from '../harness/processes.js';
import { abortStorms } from './abort-storm.js';
import { machineNote, rssOf } from './machine.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MIB = 1024 * 1024;

const VARIANTS: Record<string, { env: Record<string, string>; nodeOptions?: string }> = {
  documented: { env: {} },
  'arena-max-2': { env: { MALLOC_ARENA_MAX: '2' } },
  'trim-threshold-0': { env: { MALLOC_TRIM_THRESHOLD_: '0' } },
  // The young generation's ceiling back at V8's default (the gateway ships 64: decision 006).
  'semi-space-16': { env: {}, nodeOptions: '--max-semi-space-size=16' },
};

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => { if (a === `--${name}`) out.push(process.argv[i + 1]!); });
  return out;
}

async function metrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name: string): number => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? NaN);
  return {
    heapTotalMiB: get('nodejs_heap_size_total_bytes') / MIB,
    heapUsedMiB: get('nodejs_heap_size_used_bytes') / MIB,
    externalMiB: get('nodejs_external_memory_bytes') / MIB,
  };
}

function anonMiB(pid: number): number {
  const kb = Number(/^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

async function snapshot(url: string, pid: number): Promise<Record<string, number>> {
  return { rssMiB: (await rssOf(pid)) / MIB, anonMiB: anonMiB(pid), ...(await metrics(url)) };
}

async function main(): Promise<void> {
  const rounds = Number(args('rounds')[0] ?? 4);
  const variants = args('variant').length > 0 ? args('variant') : ['documented', 'arena-max-2', 'trim-threshold-0', 'semi-space-16'];
  const repo = mkdtempSync(join(tmpdir(), 'infergate-abortmem-'));
  writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64 });
  const result: Record<string, unknown> = { kind: 'abort-memory', date: new Date().toISOString(), machine: machineNote(), command: process.argv.slice(1).join(' '), variants: {} };
  const saved = { ...process.env };
  try {
    for (const name of variants) {
      const v = VARIANTS[name];
      if (!v) throw new Error(`unknown variant ${name}`);
      Object.assign(process.env, { MALLOC_MMAP_THRESHOLD_: '131072' }, v.env);
      if (v.nodeOptions) process.env.NODE_OPTIONS = v.nodeOptions;
      const gw = await startGateway(args('tree')[0] ?? ROOT, repo, 'ranker', ['--workers', '1', '--log-level', 'warn']);
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      try {
        const pid = gw.proc.pid!;
        await new Promise((r) => setTimeout(r, 2000));
        const baseline = await snapshot(gw.url, pid);
        const after: Record<string, number>[] = [];
        const timeline: number[][] = [];
        const settleMs = Number(args('settle-ms')[0] ?? 10_000);
        for (let r = 0; r < rounds; r++) {
          await abortStorms(Number(new URL(gw.url).port), () => 0, 1, 200, 0);
          // RSS every second while the pool trims (2-4 s after its last use) and the reclaimer
          // collects (3 s after the last abandoned exchange ended: src/server/reclaim.ts).
          const rss: number[] = [];
          for (let t = 1000; t <= settleMs; t += 1000) {
            await new Promise((res) => setTimeout(res, 1000));
            rss.push(Math.round((await rssOf(pid)) / MIB));
          }
          timeline.push(rss);
          after.push(await snapshot(gw.url, pid));
        }
        (result.variants as Record<string, unknown>)[name] = { env: { MALLOC_MMAP_THRESHOLD_: '131072', ...v.env }, nodeOptions: v.nodeOptions ?? null, baseline, after, rssEverySecondMiB: timeline };
        const f = (s: Record<string, number>): string => `RSS ${s.rssMiB!.toFixed(0)} (anon ${s.anonMiB!.toFixed(0)}, V8 heap ${s.heapTotalMiB!.toFixed(0)} reserved / ${s.heapUsedMiB!.toFixed(0)} used, external ${s.externalMiB!.toFixed(0)})`;
        console.log(`${name}: baseline ${f(baseline)}`);
        after.forEach((s, i) => console.log(`${name}: after round ${i + 1} ${f(s)}; RSS each second ${timeline[i]!.join(' ')}`));
      } finally {
        await gw.stop();
      }
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  const out = args('out')[0] ?? `bench/results/abort-memory-${new Date().toISOString().slice(0, 10)}.json`;
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});

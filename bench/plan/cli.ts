// `infergate bench plan`: capacity planning from a measured per-replica capacity (plan.ts).
//   infergate bench plan --target-rps N (--sweep DIR/sweep.json | --capacity-rps N)
//       [--headroom 0.3] [--spare 1] [--min-replicas 2] [--cores-per-replica N]
// With --sweep the capacity is the recommended point's requests/s at the sweep's p99 budget.
import { readFileSync } from 'node:fs';
import { planCapacity, type PlanInput } from './plan.js';

const USAGE = `usage: infergate bench plan --target-rps N (--sweep FILE | --capacity-rps N) [options]
  --target-rps N          peak requests/s the fleet must carry
  --sweep FILE            sweep.json of \`infergate bench sweep\`: capacity = its recommended point's req/s
  --capacity-rps N        one replica's req/s at your p99 budget, measured some other way
  --headroom F            share of each replica's capacity kept free (default 0.3)
  --spare N               replicas that may be down while the target is carried (default 1)
  --min-replicas N        never fewer (default 2)
  --cores-per-replica N   cores each replica was measured on (default 2, or the sweep's machine)
`;

interface SweepFile { best?: { requestsPerS: number; p99Us: number; workers: number } | null; cores?: number; options?: { p99BudgetUs?: number } }

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(['--target-rps', '--sweep', '--capacity-rps', '--headroom', '--spare', '--min-replicas', '--cores-per-replica']);
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.has(argv[i]!)) {
      process.stderr.write(`infergate bench plan: unknown option "${argv[i]}"\n\n${USAGE}`);
      return 2;
    }
  }
  let capacity = get('--capacity-rps') !== undefined ? Number(get('--capacity-rps')) : NaN;
  let source = 'given';
  let cores = 2;
  const sweepPath = get('--sweep');
  if (sweepPath !== undefined) {
    const sweep = JSON.parse(readFileSync(sweepPath, 'utf8')) as SweepFile;
    if (!sweep.best) {
      process.stderr.write(`infergate bench plan: ${sweepPath} has no recommended point (no grid point met its p99 budget)\n`);
      return 2;
    }
    capacity = sweep.best.requestsPerS;
    cores = sweep.cores ?? cores;
    source = `sweep ${sweepPath}: recommended point, p99 ${Math.round(sweep.best.p99Us)} us`;
  }
  const input: PlanInput = {
    capacityRps: capacity, targetRps: Number(get('--target-rps')),
    headroom: Number(get('--headroom') ?? 0.3), spare: Number(get('--spare') ?? 1),
    minReplicas: Number(get('--min-replicas') ?? 2), coresPerReplica: Number(get('--cores-per-replica') ?? cores),
  };
  try {
    const p = planCapacity(input);
    process.stdout.write([
      `capacity per replica: ${Math.round(input.capacityRps)} req/s (${source}); planned at ${Math.round((1 - input.headroom) * 100)}% of it`,
      `target: ${Math.round(input.targetRps)} req/s -> ${p.needed} replica(s) carry it, + ${input.spare} spare`,
      `plan: ${p.replicas} replicas x ${input.coresPerReplica} cores = ${p.cores} cores`,
      `utilisation at peak: ${(p.utilisationAllUp * 100).toFixed(0)}% of capacity with all up, ${(p.utilisationSpareDown * 100).toFixed(0)}% with ${input.spare} down`,
    ].join('\n') + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`infergate bench plan: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));

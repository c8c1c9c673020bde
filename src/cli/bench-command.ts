// `infergate bench ...`: the load-testing tools as CLI commands.
//   infergate bench sweep [options]   SRE tuning sweep -> recommended config.json
//   infergate bench load [options]    the load generator
//   infergate bench plan [options]    capacity planning from a sweep
// The implementations are bench entry points (compiled to dist/bench/), spawned here by path:
// the product never imports bench code, and load never shares this process's event loop.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ENTRY_POINTS: Readonly<Record<string, string>> = {
  sweep: '../../bench/sweep/cli.js',
  load: '../../bench/loadgen/cli.js',
  plan: '../../bench/plan/cli.js',
};

const USAGE = `Usage: infergate bench <command> [options]

Commands:
  sweep   start a gateway per grid point, load it, recommend a configuration (--help for options)
  load    the load generator against a running gateway (--help for options)
  plan    replicas and cores for a target load, from a sweep's measured capacity (--help for options)
`;

export async function runBenchCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const rel = ENTRY_POINTS[sub];
  if (rel === undefined) {
    process.stderr.write(`infergate bench: unknown command "${sub}"\n\n${USAGE}`);
    return 2;
  }
  const entry = fileURLToPath(new URL(rel, import.meta.url));
  if (!existsSync(entry)) {
    process.stderr.write(`infergate bench ${sub}: ${entry} is missing (run npm run build:ts)\n`);
    return 1;
  }
  return spawnSync(process.execPath, [entry, ...rest], { stdio: 'inherit' }).status ?? 1;
}

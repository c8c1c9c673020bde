#!/usr/bin/env node
// Entry point of `infergate bench sweep` (src/cli/bench-command.ts spawns this file by path, so
// the product never imports bench code): parses the sweep's options (options.ts) and runs it.
// Exit status: 0 with a recommendation, 3 when no grid point fit the budget, 2 on bad options.
import { parseSweepArgs } from './options.js';
import { runSweep } from './sweep.js';

async function main(): Promise<number> {
  let o;
  try {
    o = parseSweepArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof RangeError) {
      process.stderr.write(`infergate bench sweep: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (o === undefined) return 0;
  const { best } = await runSweep(o);
  return best ? 0 : 3;
}

process.exitCode = await main();

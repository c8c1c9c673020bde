#!/usr/bin/env node
// Entry point: node dist/bench/loadgen/cli.js --url http://127.0.0.1:8000 [options]
// Runs in its own process so that its CPU and event loop are never the server's.
// Exit status: 0 after a run (even with errors counted), 2 on bad options, 1 when it could not run.
import { writeFileSync } from 'node:fs';
import { parseArgs, UsageError } from './options.js';
import { formatTable } from './result.js';
import { runLoad } from './runner.js';

function progressBar(p: { elapsedS: number; totalS: number; answered: number; errors: number }): void {
  const width = 30;
  const done = Math.round((p.elapsedS / p.totalS) * width);
  process.stdout.write(`\r[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${p.elapsedS.toFixed(1)}/${p.totalS.toFixed(1)} s  answered ${p.answered}  errors ${p.errors}   `);
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.help) {
        console.log(e.message);
        return 0;
      }
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const tty = process.stdout.isTTY === true && !opts.quiet && opts.jsonOut !== '-';
  const result = await runLoad(opts, tty ? { onProgress: progressBar } : {});
  if (tty) process.stdout.write('\n');
  const json = JSON.stringify(result, null, 2);
  if (opts.jsonOut === '-') process.stdout.write(json + '\n');
  else if (opts.jsonOut !== '') writeFileSync(opts.jsonOut, json + '\n');
  if (!opts.quiet && opts.jsonOut !== '-') console.log(formatTable(result));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`loadgen: ${(e as Error)?.message ?? String(e)}`);
    process.exit(1);
  },
);

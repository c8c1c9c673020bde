// `infergate <command>`: serve | encode | decode | bench. Returns the process exit code.
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, isHelpRequest, parseDecodeArgs, parseEncodeArgs, resolveServeConfig } from './config.js';
import { decodeHelp, encodeHelp, mainHelp, serveHelp } from './help.js';
import { flatResponseToJson, jsonRequestToFlat } from '../protocol/cli-codec.js';
import { InferError } from '../core/errors.js';
import { serve } from './serve.js';

/** The version in the package.json beside dist/ (one level above src/cli/ once compiled). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function readInput(path: string): Buffer {
  return path === '-' ? readFileSync(0) : readFileSync(path);
}

function writeOutput(path: string, data: string | Uint8Array): void {
  if (path === '-') process.stdout.write(data);
  else writeFileSync(path, data);
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(mainHelp());
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
      case 'version':
        process.stdout.write(`infergate ${packageVersion()}\n`);
        return 0;
      case 'serve':
        if (isHelpRequest(rest)) {
          process.stdout.write(serveHelp());
          return 0;
        }
        return await serve(resolveServeConfig(rest, process.env));
      case 'encode': {
        if (isHelpRequest(rest)) {
          process.stdout.write(encodeHelp());
          return 0;
        }
        const a = parseEncodeArgs(rest);
        writeOutput(a.out, jsonRequestToFlat(readInput(a.in).toString('utf8'), a.model));
        return 0;
      }
      case 'decode': {
        if (isHelpRequest(rest)) {
          process.stdout.write(decodeHelp());
          return 0;
        }
        const a = parseDecodeArgs(rest);
        const bytes = readInput(a.in);
        const decoded = flatResponseToJson(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        writeOutput(a.out, decoded.json + '\n');
        // An error response is still printed (it is the answer), but a script must see it failed.
        return decoded.isError ? 1 : 0;
      }
      case 'bench': {
        const { runBenchCommand } = await import('./bench-command.js');
        return await runBenchCommand(rest);
      }
      default:
        process.stderr.write(`infergate: unknown command "${command}"\n\n${mainHelp()}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof InferError) {
      process.stderr.write(`infergate ${command}: ${e.message}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`infergate ${command}: ${msg}\n`);
    return 1;
  }
}

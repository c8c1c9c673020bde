// `infergate <command>`: serve | encode | decode | bench. Returns the process exit code.
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, isHelpRequest, parseDecodeArgs, parseEncodeArgs, resolveServeConfig } from './config.js';
import { decodeHelp, encodeHelp, mainHelp, serveHelp } from './help.js';
import { flatResponseToJson, jsonRequestToFlat } from '../protocol/cli-codec.js';
import { InferError } from '../core/errors.js';
import { serve } from './serve.js';
import { createLogger, type LogFormat } from '../observability/log.js';

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
    const code = e instanceof ConfigError || e instanceof InferError ? 2 : 1;
    const msg = `infergate ${command}: ${e instanceof Error ? e.message : String(e)}`;
    // serve's failures (a bad option, a model that failed to load, a port in use) reach the same
    // log collector as its other lines: JSON unless stderr is a terminal or pretty is asked for.
    if (command === 'serve') createLogger('error', { format: logFormatOf(rest, process.env) }).error(msg, { exitCode: code });
    else process.stderr.write(`${msg}\n`);
    return code;
  }
}

/** --log-format from argv or the environment, read without the full option parser (which may be
 *  what failed); anything unreadable is 'auto'. */
function logFormatOf(argv: readonly string[], env: NodeJS.ProcessEnv): LogFormat {
  let v = env['INFERGATE_LOG_FORMAT'];
  argv.forEach((a, i) => {
    if (a === '--log-format') v = argv[i + 1];
    else if (a.startsWith('--log-format=')) v = a.slice('--log-format='.length);
  });
  return v === 'json' || v === 'pretty' ? v : 'auto';
}

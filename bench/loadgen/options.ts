// Command-line options of the load generator, parsed into one validated object.
// Messages have one shape: `--rate must be a positive number (got "x")`.
import { WORKLOADS, type WorkloadName } from './workload.js';

export type Protocol = 'flatbuffers' | 'json' | 'binary' | 'ws' | 'raw';
export const PROTOCOLS: readonly Protocol[] = ['flatbuffers', 'json', 'binary', 'ws', 'raw'];
export type Mode = 'open' | 'closed';
export type Arrival = 'poisson' | 'fixed';

export interface LoadOptions {
  url: string;
  model: string;
  protocol: Protocol;
  workload: WorkloadName;
  mode: Mode;
  /** Open loop: intended requests per second. */
  rate: number;
  arrival: Arrival;
  /** Closed loop: requests in flight. */
  concurrency: number;
  /** Sockets. HTTP carries one request at a time per socket; WebSocket many. */
  connections: number;
  durationS: number;
  warmupS: number;
  seed: number;
  /** Where to write the JSON result ('-' = stdout); '' = none. */
  jsonOut: string;
  /** '' = ask the server's metadata (GET /v2/models/{model}), then fall back to "features". */
  inputName: string;
  /** 0 = ask the server's metadata, then fall back to 128. */
  features: number;
  /** A request not answered within this is counted as a 'timeout' error. */
  timeoutMs: number;
  /** Goodput: successful answers within this latency are counted apart (0 = no budget). */
  budgetUs: number;
  /** WebSocket: most requests in flight per connection (the gateway's default bound is 1024). */
  maxInFlightPerConnection: number;
  /** Read GET /metrics before and after the measured window. */
  scrapeMetrics: boolean;
  quiet: boolean;
  /** Free-form label copied into the result (the suite uses it for the system's name). */
  label: string;
  /** The server's pid, to report its CPU use over the window (0 = unknown). */
  serverPid: number;
}

export const DEFAULT_OPTIONS: LoadOptions = {
  url: '', model: 'ranker', protocol: 'flatbuffers', workload: 'k1', mode: 'closed',
  rate: 0, arrival: 'poisson', concurrency: 1, connections: 0, durationS: 5, warmupS: 1, seed: 1,
  jsonOut: '', inputName: '', features: 0, timeoutMs: 10_000, budgetUs: 0, maxInFlightPerConnection: 1024,
  scrapeMetrics: true, quiet: false, label: '', serverPid: 0,
};

export const USAGE = `usage: infergate bench load --url http://127.0.0.1:8000 [options]
   (or: node dist/bench/loadgen/cli.js ...)
  --model NAME            model name (default ranker)
  --protocol P            flatbuffers|json|binary|ws|raw (default flatbuffers)
                          raw = POST /infer with application/octet-stream float32 rows (raw-body peer)
  --workload W            k1|k200|k1000|mixed (default k1)
  --mode open|closed      open loop at --rate, or closed loop at --concurrency (default closed)
  --rate N                open loop: requests/s (latency counted from each intended send time)
  --arrival poisson|fixed open loop inter-arrival times (default poisson)
  --concurrency N         closed loop: requests in flight (default 1)
  --connections N         sockets (default: concurrency for HTTP closed loop, 64 for HTTP open
                          loop, 1 per 256 in flight for ws)
  --duration-s S          measured seconds (default 5)
  --warmup-s S            seconds before measuring, discarded (default 1)
  --seed N                data and arrival seed (default 1)
  --input-name NAME       input tensor name (default: from GET /v2/models/{model}, else "features")
  --features N            features per row (default: from metadata, else 128)
  --timeout-ms N          per-request timeout, counted as error "timeout" (default 10000)
  --budget-us N           count successful answers within N us apart (goodput; default 0 = none)
  --max-in-flight-per-connection N   ws only (default 1024)
  --no-metrics            do not read GET /metrics
  --json OUT              write the result as JSON to OUT ('-' = stdout)
  --label TEXT            label copied into the result
  --server-pid N          report the server process's CPU use over the window (Linux)
  --quiet                 no table, no progress bar`;

export class UsageError extends Error {
  override name = 'UsageError';
  /** True for --help: the usage goes to stdout and the exit code is 0. */
  readonly help: boolean;
  constructor(message: string, help = false) {
    super(message);
    this.help = help;
  }
}

function num(flag: string, raw: string | undefined, check: (n: number) => boolean, what: string): number {
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} must be ${what} (got "${raw ?? ''}")`);
  return n;
}
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
const nonNegative = (n: number) => n >= 0;
const positive = (n: number) => n > 0;

export function parseArgs(argv: readonly string[]): LoadOptions {
  const o: LoadOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '--url': o.url = value() ?? ''; break;
      case '--model': o.model = value() ?? ''; break;
      case '--protocol': o.protocol = value() as Protocol; break;
      case '--workload': o.workload = value() as WorkloadName; break;
      case '--mode': o.mode = value() as Mode; break;
      case '--arrival': o.arrival = value() as Arrival; break;
      case '--rate': o.rate = num(flag, value(), positive, 'a positive number'); break;
      case '--concurrency': o.concurrency = num(flag, value(), positiveInt, 'a positive integer'); break;
      case '--connections': o.connections = num(flag, value(), positiveInt, 'a positive integer'); break;
      case '--duration-s': o.durationS = num(flag, value(), positive, 'a positive number'); break;
      case '--warmup-s': o.warmupS = num(flag, value(), nonNegative, 'a non-negative number'); break;
      case '--seed': o.seed = num(flag, value(), Number.isInteger, 'an integer'); break;
      case '--input-name': o.inputName = value() ?? ''; break;
      case '--features': o.features = num(flag, value(), positiveInt, 'a positive integer'); break;
      case '--timeout-ms': o.timeoutMs = num(flag, value(), positive, 'a positive number'); break;
      case '--budget-us': o.budgetUs = num(flag, value(), nonNegative, 'a non-negative number'); break;
      case '--max-in-flight-per-connection':
        o.maxInFlightPerConnection = num(flag, value(), positiveInt, 'a positive integer'); break;
      case '--no-metrics': o.scrapeMetrics = false; break;
      case '--json': o.jsonOut = value() ?? ''; break;
      case '--label': o.label = value() ?? ''; break;
      case '--server-pid': o.serverPid = num(flag, value(), positiveInt, 'a positive integer'); break;
      case '--quiet': o.quiet = true; break;
      case '--help': case '-h': throw new UsageError(USAGE, true);
      default: throw new UsageError(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  return validateOptions(o);
}

/** Fills defaults that depend on other options and rejects contradictions. */
export function validateOptions(input: LoadOptions): LoadOptions {
  const o = { ...input };
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new UsageError(`--url must be an http:// URL (got "${o.url}")`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`--url must be an http:// URL (got "${o.url}"); ws uses the same URL`);
  if (o.model === '' || /[/?#\s]/.test(o.model)) throw new UsageError(`--model must be a plain name (got "${o.model}")`);
  if (!PROTOCOLS.includes(o.protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join('|')} (got "${o.protocol}")`);
  if (!WORKLOADS.includes(o.workload)) throw new UsageError(`--workload must be one of ${WORKLOADS.join('|')} (got "${o.workload}")`);
  if (o.mode !== 'open' && o.mode !== 'closed') throw new UsageError(`--mode must be open or closed (got "${o.mode}")`);
  if (o.arrival !== 'poisson' && o.arrival !== 'fixed') throw new UsageError(`--arrival must be poisson or fixed (got "${o.arrival}")`);
  if (o.mode === 'open' && !(o.rate > 0)) throw new UsageError('--rate is required in open loop (--mode open)');
  if (o.connections === 0) {
    if (o.protocol === 'ws') o.connections = Math.max(1, Math.ceil((o.mode === 'closed' ? o.concurrency : 256) / 256));
    else o.connections = o.mode === 'closed' ? o.concurrency : 64;
  }
  if (o.protocol !== 'ws' && o.mode === 'closed' && o.connections !== o.concurrency) {
    throw new UsageError(`HTTP carries one request per connection: --connections (${o.connections}) must equal --concurrency (${o.concurrency}) in closed loop`);
  }
  if (o.protocol === 'ws' && o.mode === 'closed' && o.concurrency > o.connections * o.maxInFlightPerConnection) {
    throw new UsageError(`--concurrency ${o.concurrency} exceeds --connections x --max-in-flight-per-connection`);
  }
  return o;
}

// The command-line option tables of `infergate serve`, `encode` and `decode`: every flag, its
// value kind and range, its default as --help prints it, and its help text (measurements
// included). config.ts checks values against these tables and help.ts prints them, so the two
// cannot drift.
import { MODEL_DEFAULTS } from '../repository/config.js';
import { DEFAULT_INLINE } from '../pool/inline.js';

export type OptionKind =
  | { type: 'string' }
  /** A file system path; resolved against the cwd, or the config file's folder for file values. */
  | { type: 'path' }
  | { type: 'int'; min: number; max: number; expected?: string }
  /** Bytes, with an optional KiB / MiB / GiB suffix. */
  | { type: 'bytes'; min: number; max: number }
  | { type: 'enum'; values: readonly (string | number)[] }
  | { type: 'bool' }
  /** Repeatable MODEL.KEY=VALUE. */
  | { type: 'model-override' };

export interface OptionSpec {
  /** Kebab-case flag name without the dashes. */
  flag: string;
  /** camelCase name: the config file key (kebab-case is accepted too) and the sources key. */
  key: string;
  /** Environment variable, or undefined when the option is a flag only. */
  env: string | undefined;
  /** Placeholder for the value in --help ('' for booleans). */
  arg: string;
  kind: OptionKind;
  /** Text for --help. */
  defaultText: string;
  help: string;
  /** config.json key path this option sets in ServeConfig.modelDefaults. */
  modelKey?: string;
  /** Allowed in the config file (not --config itself). */
  inFile: boolean;
}

const MAX_INT = Number.MAX_SAFE_INTEGER;
const NON_NEG = { type: 'int', min: 0, max: MAX_INT, expected: 'a non-negative integer' } as const;
const POS = { type: 'int', min: 1, max: MAX_INT, expected: 'a positive integer' } as const;
const THREADS = { type: 'int', min: 0, max: 1024, expected: 'an integer in 0..1024 (0 = ORT decides)' } as const;
/** Measured on 2 cores: K=1 p50 at 1 in flight 134-153 -> 111-121 us; 200, 500 and 1000 us alike. */
export const DEFAULT_QUIET_SPIN_US = 500;
/** Idle spinners spin this long after the last arrival: at 500 req/s and more they never sleep. */
export const DEFAULT_IDLE_SPIN_WINDOW_US = 2000;
/** 64 MiB: a 1,000-candidate ranker request is 0.5 MiB; dlrm-sized bodies stay far below. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** One contiguous Buffer per body: anything past 2 GiB is never a sensible request. */
const MAX_BODY_LIMIT = 2 * 1024 * 1024 * 1024;

function opt(flag: string, arg: string, kind: OptionKind, defaultText: string, help: string,
  extra: { env?: string | null; modelKey?: string; inFile?: boolean } = {}): OptionSpec {
  const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const env = extra.env === null ? undefined : extra.env ?? `INFERGATE_${flag.toUpperCase().replace(/-/g, '_')}`;
  const spec: OptionSpec = { flag, key, env, arg, kind, defaultText, help, inFile: extra.inFile ?? true };
  if (extra.modelKey !== undefined) spec.modelKey = extra.modelKey;
  return spec;
}
const modelDefault = (v: unknown): string => `${String(v)} (built-in model default)`;

/** Every `infergate serve` option, in --help order. */
export const SERVE_OPTIONS: readonly OptionSpec[] = Object.freeze([
  opt('model-repository', 'DIR', { type: 'path' }, '(required)', 'Model repository: DIR/<model>/<version>/model.onnx, optional DIR/<model>/config.json.'),
  opt('host', 'HOST', { type: 'string' }, '127.0.0.1', 'Address to listen on (0.0.0.0 or :: for every interface).'),
  opt('port', 'PORT', { type: 'int', min: 0, max: 65535 }, '8000', 'HTTP and WebSocket port (0 = any free port).'),
  opt('workers', 'N', { type: 'int', min: 1, max: 256 }, 'CPU cores',
    'Inference worker threads, each with its own ORT thread pool (see --intra-op-threads). Measured on 2 cores against 1 worker x 2 threads: 2 workers x 1 thread gave +31% K=1 req/s at 16 in flight, K=1 p50 at 1 in flight 205 -> 179 us, and the same K=200 rows/s.'),
  opt('spin-us', 'US', { type: 'int', min: 0, max: 1_000_000, expected: 'an integer in 0..1000000' }, '0',
    'After activity, poll instead of sleeping for this long on the HTTP thread and in workers (a sleeping thread on a VM takes tens of us to wake). Only where cores are spare: spinning threads take CPU from the work. 0 = never spin.'),
  opt('spin-in-flight', '', { type: 'bool' }, 'true',
    'The HTTP thread polls instead of sleeping while a small batch (<= 64 rows) runs in a worker (measured on 2 cores: +25% K=1 req/s at 64 in flight; large batches never spin, their ORT threads need the cores).'),
  opt('inline-max-rows', 'N', { type: 'int', min: 0, max: 1_000_000, expected: 'an integer in 0..1000000' }, String(DEFAULT_INLINE.maxRows),
    'Batches of at most N rows run on the HTTP thread and skip the worker hop; larger ones go to the workers. Each batch holds every request read in one event-loop turn, so load makes batches larger, not hops more frequent. Measured on 2 cores, K=1: 32 in flight 20k req/s at p99 4.9 ms with small batches inline only while quiet, 32-37k at p99 2.0-2.5 ms with N = 64 (16: 23k; 256: as 64). 0 = always use a worker.'),
  opt('inline-max-compute-us', 'US', { type: 'int', min: 0, max: 1_000_000, expected: 'an integer in 0..1000000' }, String(DEFAULT_INLINE.maxComputeUs),
    'Models whose small batches take longer than this (moving average) never run on the HTTP thread.'),
  opt('quiet-spin-us', 'US', { type: 'int', min: 0, max: 1_000_000, expected: 'an integer in 0..1000000' }, String(DEFAULT_QUIET_SPIN_US),
    'After a batch ran on the HTTP thread (see --inline-max-rows), its event loop polls instead of sleeping for this long, so the next request meets a running thread with warm caches (after a 1 ms sleep ranker K=1 compute takes 47 us, not 19). Any batch sent to a worker ends the window. Measured on 2 cores with one idle spinner: K=1 p50 at 1 in flight 134-153 -> 111-121 us, req/s at 4, 8 and 16 in flight the same or better. 0 = never.'),
  opt('idle-spin-threads', 'N', { type: 'int', min: 0, max: 256, expected: 'an integer in 0..256' }, '1 (0 on 1 core or under a CPU quota)',
    'Threads that spin at the lowest scheduling priority (SCHED_IDLE) while requests come one at a time, so the CPUs of a VM never halt between requests: any other runnable thread preempts them, they sleep once no request came for --idle-spin-window-us, and they stay asleep while requests overlap (load keeps the cores awake anyway). Measured on 2 cores: K=1 p50 at 1 in flight 187 -> 128-131 us; req/s at 4 to 64 in flight the same; 2 threads cost 25% req/s at 8 in flight. They show as process CPU. Off under a CPU quota (Kubernetes limit): their time counts against it.'),
  opt('idle-spin-window-us', 'US', { type: 'int', min: 1, max: 10_000_000, expected: 'an integer in 1..10000000' }, String(DEFAULT_IDLE_SPIN_WINDOW_US),
    'How long the idle spinners keep spinning after the last request arrived.'),
  opt('max-body-bytes', 'BYTES', { type: 'bytes', min: 1, max: MAX_BODY_LIMIT }, '64MiB', 'Largest request body (413 beyond). Suffixes KiB, MiB, GiB.'),
  opt('model-control-mode', 'MODE', { type: 'enum', values: ['none', 'explicit'] }, 'none',
    'none: load every model at start-up. explicit: also serve POST /v2/repository/{index,models/M/load,models/M/unload}.'),
  opt('log-level', 'LEVEL', { type: 'enum', values: ['debug', 'info', 'warn', 'error', 'silent'] }, 'info', 'Log verbosity.'),
  opt('config', 'FILE', { type: 'path' }, '(none)', 'JSON file of these options (camelCase or kebab-case keys).', { inFile: false }),
  opt('max-batch-size', 'N', NON_NEG, modelDefault(MODEL_DEFAULTS.maxBatchSize), 'Default max_batch_size (rows per batch; 0 = no batching).', { modelKey: 'max_batch_size' }),
  opt('max-queue-delay-us', 'US', NON_NEG, modelDefault(MODEL_DEFAULTS.maxQueueDelayUs), 'Default longest wait for a fuller batch (microseconds).', { modelKey: 'dynamic_batching.max_queue_delay_microseconds' }),
  opt('max-queue-size', 'N', POS, modelDefault(MODEL_DEFAULTS.maxQueueSize), 'Default bound on queued requests per model (then shed).', { modelKey: 'dynamic_batching.max_queue_size' }),
  opt('max-queue-rows', 'N', POS, modelDefault(MODEL_DEFAULTS.maxQueueRows), 'Default bound on queued rows per model (the memory bound).', { modelKey: 'dynamic_batching.max_queue_rows' }),
  opt('default-timeout-us', 'US', NON_NEG, modelDefault(MODEL_DEFAULTS.defaultTimeoutUs), 'Default deadline for requests that bring none (0 = none).', { modelKey: 'dynamic_batching.default_timeout_microseconds' }),
  opt('shed-status', 'STATUS', { type: 'enum', values: [503, 429] }, modelDefault(MODEL_DEFAULTS.shedStatus), 'Default HTTP status of a shed request (full queue).', { modelKey: 'dynamic_batching.shed_status' }),
  opt('retry-after-s', 'S', { type: 'int', min: 0, max: 86400 }, modelDefault(MODEL_DEFAULTS.retryAfterS), 'Default Retry-After seconds sent when shedding.', { modelKey: 'dynamic_batching.retry_after_seconds' }),
  opt('oversize-policy', 'POLICY', { type: 'enum', values: ['split', 'reject'] }, modelDefault(MODEL_DEFAULTS.oversizePolicy), 'Default for requests with more rows than max_batch_size.', { modelKey: 'dynamic_batching.oversize_policy' }),
  opt('intra-op-threads', 'N', THREADS, 'max(1, floor(CPU cores / workers))',
    'Default ORT intra-op threads per worker, so that the workers\' threads together use every core (with 1 worker on 2 cores, 2 threads gave +35% K=200 rows/s over 1). A second thread costs small batches a thread wake-up (K=1 compute 18 -> 30 us), so several single-threaded workers beat one wide one.', { modelKey: 'runtime.intra_op_threads' }),
  opt('inter-op-threads', 'N', THREADS, modelDefault(MODEL_DEFAULTS.interOpThreads), 'Default ORT inter-op threads per worker.', { modelKey: 'runtime.inter_op_threads' }),
  opt('allow-spinning', '', { type: 'bool' }, modelDefault(MODEL_DEFAULTS.allowSpinning), 'Default ORT thread spinning (burns the cores the event loop needs).', { modelKey: 'runtime.allow_spinning' }),
  opt('model-override', 'MODEL.KEY=VALUE', { type: 'model-override' }, '(none)',
    'Set a config.json key for one model, beating its config.json. Repeatable; in the environment separate entries with ";".'),
]);

export const ENCODE_OPTIONS: readonly OptionSpec[] = Object.freeze([
  opt('model', 'NAME', { type: 'string' }, '(none)', 'Model name to put in the FlatBuffers request.', { env: null }),
  opt('in', 'FILE', { type: 'string' }, '- (stdin)', 'KServe v2 JSON request to read.', { env: null }),
  opt('out', 'FILE', { type: 'string' }, '- (stdout)', 'Where to write the FlatBuffers bytes.', { env: null }),
]);

export const DECODE_OPTIONS: readonly OptionSpec[] = Object.freeze([
  opt('in', 'FILE', { type: 'string' }, '- (stdin)', 'FlatBuffers response to read.', { env: null }),
  opt('out', 'FILE', { type: 'string' }, '- (stdout)', 'Where to write the KServe v2 JSON.', { env: null }),
]);

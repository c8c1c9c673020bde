// Command-line configuration: argv + environment + config file -> one typed ServeConfig, and the
// option parsing of `infergate encode` / `infergate decode`. Pure apart from reading the
// --config file (injectable). Every value is checked by the option table below, which also
// generates --help (help.ts), so the two cannot drift.
//
// Precedence, highest first: command-line flag > environment (INFERGATE_<UPPER_SNAKE>) >
// config file (--config FILE, JSON, keys camelCase or kebab-case) > built-in default.
// Repeatable KEY=VALUE options (--model-override) merge across sources; for one key the higher
// source wins. A repeated single-value flag: the last one wins (wrapper scripts append flags).
//
// Model tunables (--max-batch-size, --max-queue-delay-us, ...) set server-wide defaults for every
// model; a model's config.json beats them, and --model-override beats config.json (see
// src/models/config.ts for the layers).
//
// Error messages (ConfigError) have one shape: `<where> must be <expected> (got <value>)`,
// where <where> is `--port`, `INFERGATE_PORT` or `<config file>: port`.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cpuQuotaCores } from './cpu-quota.js';
import { dirname, resolve } from 'node:path';
import {
  type ModelConfigJson, ConfigError, MODEL_DEFAULTS, closestConfigKey, closestName, configKeyPath, configPatch,
  formatGot, isPlainObject, mergeConfigLayers, validateConfigLayer,
} from '../models/config.js';
import { checkModelName } from '../models/repository-scan.js';
import { DEFAULT_INLINE } from '../pool/inline.js';

export { ConfigError } from '../models/config.js';

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

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type OptionSource = 'flag' | 'env' | 'file' | 'default';

export interface ServeConfig {
  /** Absolute. */
  modelRepository: string;
  host: string;
  port: number;
  workers: number;
  /** Poll-instead-of-sleep window of the thread hop (src/pool/spin.ts). */
  spinUs: number;
  spinInFlight: boolean;
  /** Inline execution of small batches on the HTTP thread (src/pool/inline.ts). */
  inlineMaxRows: number;
  inlineMaxComputeUs: number;
  quietSpinUs: number;
  /** Idle spinners (native/idle_spin.h); 0 = none. */
  idleSpinThreads: number;
  idleSpinWindowUs: number;
  maxBodyBytes: number;
  modelControlMode: 'none' | 'explicit';
  logLevel: LogLevel;
  /** Absolute path of the config file read, if any. */
  configFile: string | undefined;
  /** Server-wide model defaults set by the tunable options (below each config.json). Pass as
   *  ScanOptions.serverDefaults. Only the options actually given appear. */
  modelDefaults: ModelConfigJson;
  /** --model-override by model name (above each config.json). Pass as ScanOptions.overrides. */
  modelOverrides: Record<string, ModelConfigJson>;
  /** Where each option's value came from, by OptionSpec.key (for the start-up log). */
  sources: Record<string, OptionSource>;
  /** Non-fatal findings for the start-up log (likely typos, oversubscription). */
  warnings: string[];
}

export interface EncodeArgs { model: string | undefined; in: string; out: string }
export interface DecodeArgs { in: string; out: string }

export interface ResolveDeps {
  cpuCount?: number;
  /** This process's CPU quota in cores, null for none (default: read from cgroups). */
  cpuQuotaCores?: number | null;
  cwd?: string;
  /** Reads the --config file (default: fs.readFileSync as UTF-8). */
  readFile?: (path: string) => string;
}

/** True when argv asks for help (-h / --help before any "--"). Check this before resolving. */
export function isHelpRequest(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

// ---------------------------------------------------------------------------------------------
// Value checking (one message shape for every source)

function fail(where: string, expected: string, got: unknown): never {
  throw new ConfigError(`${where} must be ${expected} (got ${formatGot(got)})`);
}

function intOf(raw: unknown): number | undefined {
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw + 0;
  if (typeof raw === 'string' && /^\s*-?[0-9]{1,16}\s*$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw) + 0;
  return undefined;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Checks one scalar value; `base` resolves relative paths. */
function checkValue(spec: OptionSpec, raw: unknown, where: string, base: string): unknown {
  const k = spec.kind;
  switch (k.type) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' || raw.trim() === '') fail(where, 'a non-empty string', raw);
      return k.type === 'path' ? resolve(base, raw) : raw;
    case 'int': {
      const n = intOf(raw);
      if (n === undefined || n < k.min || n > k.max) fail(where, k.expected ?? `an integer in ${k.min}..${k.max}`, raw);
      return n;
    }
    case 'bytes': {
      const m = typeof raw === 'string' ? /^\s*([0-9]{1,16})\s*(kib|mib|gib)?\s*$/i.exec(raw) : null;
      const n = typeof raw === 'number' ? raw : m ? Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
      if (!Number.isSafeInteger(n) || n < k.min || n > k.max) fail(where, `a byte count in ${k.min}..${k.max} (suffixes KiB, MiB, GiB)`, raw);
      return n;
    }
    case 'enum': {
      const v = k.values.find((x) => x === raw || String(x) === raw);
      if (v === undefined) fail(where, `one of ${k.values.join(', ')}`, raw);
      return v;
    }
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1') return true;
      if (raw === false || raw === 'false' || raw === '0') return false;
      return fail(where, 'true or false', raw);
    case 'model-override':
      throw new Error('model-override is not a scalar option');
  }
}

/** "ranker.max_queue_delay_microseconds=200" -> ["ranker", {dynamic_batching: {...: 200}}]. */
function parseOverride(entry: unknown, where: string): [string, ModelConfigJson] {
  const shape = 'MODEL.KEY=VALUE (e.g. ranker.max_queue_delay_microseconds=200)';
  if (typeof entry !== 'string') return fail(where, shape, entry);
  const eq = entry.indexOf('=');
  const left = eq < 0 ? '' : entry.slice(0, eq);
  if (eq < 0 || !left.includes('.')) fail(where, shape, entry);
  // Model names may hold dots: take the shortest model name whose remainder is a known key.
  let model: string | undefined;
  let path: string[] | undefined;
  for (let i = left.indexOf('.'); i >= 0 && path === undefined; i = left.indexOf('.', i + 1)) {
    path = configKeyPath(left.slice(i + 1));
    model = left.slice(0, i);
  }
  if (path === undefined || model === undefined) {
    const key = left.slice(left.indexOf('.') + 1);
    const near = closestConfigKey(key);
    throw new ConfigError(`${where}: unknown config.json key "${key}" in ${JSON.stringify(entry)}`
      + (near !== undefined ? ` (did you mean "${near}"?)` : ''));
  }
  const nameError = checkModelName(model);
  if (nameError !== undefined) throw new ConfigError(`${where}: ${nameError}`);
  const text = entry.slice(eq + 1);
  let value: unknown = text;
  try { value = JSON.parse(text); } catch { /* a bare word: oversize_policy=reject */ }
  return [model, validateConfigLayer(configPatch(path, value), `${where} ${model}`)];
}

// ---------------------------------------------------------------------------------------------
// Sources

interface Given {
  raw: unknown;
  where: string;
  source: OptionSource;
  base: string;
  /** A config file's object-form model override: [model, config.json layer]. */
  layer?: [string, unknown];
}

function unknownOption(name: string, table: readonly OptionSpec[], command: string): never {
  const flags = table.map((s) => s.flag);
  // "--no-port": the user meant a switch that is not one; point at the option itself.
  const near = closestName(name, flags) ?? (name.startsWith('no-') ? closestName(name.slice(3), flags) : undefined);
  throw new ConfigError(`unknown option --${name} (${near !== undefined ? `did you mean --${near}?` : `see infergate ${command} --help`})`);
}

/** argv -> values in order. Single-value options keep the last; repeatable ones all. */
function fromArgv(argv: readonly string[], table: readonly OptionSpec[], command: string, cwd: string): Map<OptionSpec, Given[]> {
  const out = new Map<OptionSpec, Given[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      if (i + 1 === argv.length) break;
      throw new ConfigError(`unexpected argument ${JSON.stringify(argv[i + 1])} (infergate ${command} takes options only)`);
    }
    if (!a.startsWith('--')) {
      throw new ConfigError(a.startsWith('-') && a.length > 1 ? `unknown option ${a} (options are long: see infergate ${command} --help)`
        : `unexpected argument ${JSON.stringify(a)} (infergate ${command} takes options only)`);
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    let spec = table.find((s) => s.flag === name);
    if (spec === undefined && name.startsWith('no-') && value === undefined) {
      spec = table.find((s) => s.flag === name.slice(3) && s.kind.type === 'bool');
      if (spec !== undefined) value = 'false';
    }
    if (spec === undefined) unknownOption(name, table, command);
    if (value === undefined) {
      if (spec.kind.type === 'bool') value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new ConfigError(`--${spec.flag} needs a value (${spec.arg})`);
        value = next;
        i++;
      }
    }
    const list = out.get(spec) ?? [];
    list.push({ raw: value, where: `--${spec.flag}`, source: 'flag', base: cwd });
    out.set(spec, list);
  }
  return out;
}

const PREFIX = 'INFERGATE_';

function fromEnv(env: NodeJS.ProcessEnv, table: readonly OptionSpec[], cwd: string, warnings: string[]): Map<OptionSpec, Given[]> {
  const out = new Map<OptionSpec, Given[]>();
  for (const spec of table) {
    const v = spec.env === undefined ? undefined : env[spec.env];
    // Empty counts as unset: that is how compose files and k8s manifests blank a variable.
    if (v === undefined || v.trim() === '') continue;
    const parts = spec.kind.type === 'model-override' ? v.split(';').map((s) => s.trim()).filter((s) => s !== '') : [v];
    out.set(spec, parts.map((raw) => ({ raw, where: spec.env!, source: 'env', base: cwd })));
  }
  const names = table.flatMap((s) => (s.env === undefined ? [] : [s.env]));
  for (const k of Object.keys(env).sort()) {
    if (!k.startsWith(PREFIX) || names.includes(k)) continue;
    // Other parts of infergate may read INFERGATE_* variables of their own: warn on likely typos only.
    // Compare what follows the shared prefix, or every name would look close to every other.
    const near = closestName(k.slice(PREFIX.length), names.map((n) => n.slice(PREFIX.length)));
    if (near !== undefined) warnings.push(`environment variable ${k} is not an option (did you mean ${PREFIX}${near}?)`);
  }
  return out;
}

function fromFile(path: string, table: readonly OptionSpec[], readFile: (p: string) => string): Map<OptionSpec, Given[]> {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new ConfigError(`config file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) {
    throw new ConfigError(`${path}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(doc)) fail(path, 'a JSON object of options', doc);
  const base = dirname(path);
  const out = new Map<OptionSpec, Given[]>();
  const allowed = table.filter((s) => s.inFile);
  for (const [k, raw] of Object.entries(doc)) {
    const spec = allowed.find((s) => s.key === k || s.flag === k);
    if (spec === undefined) {
      const near = closestName(k, allowed.flatMap((s) => [s.key, s.flag]));
      const hint = k === 'config' ? 'config files do not nest' : near !== undefined ? `did you mean "${near}"?` : 'see infergate serve --help';
      throw new ConfigError(`${path}: unknown option "${k}" (${hint})`);
    }
    if (out.has(spec)) throw new ConfigError(`${path}: option "${spec.key}" is given twice ("${spec.key}" and "${spec.flag}")`);
    const where = `${path}: ${k}`;
    let entries: unknown[] = [raw];
    if (spec.kind.type === 'model-override') {
      if (isPlainObject(raw)) {
        // Object form: { "ranker": { "dynamic_batching": { ... } } }, each a config.json layer.
        out.set(spec, Object.entries(raw).map(([model, layer]): Given => ({ raw, layer: [model, layer], where: `${where}.${model}`, source: 'file', base })));
        continue;
      }
      if (!Array.isArray(raw)) fail(where, 'an array of "MODEL.KEY=VALUE" strings or an object of config.json layers by model', raw);
      entries = raw;
    }
    out.set(spec, entries.map((e) => ({ raw: e, where, source: 'file', base })));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Resolution

function overridesOf(givens: readonly Given[]): Record<string, ModelConfigJson> {
  const out: Record<string, ModelConfigJson> = {};
  for (const g of givens) {
    let model: string;
    let layer: ModelConfigJson;
    if (g.layer !== undefined) {
      model = g.layer[0];
      const nameError = checkModelName(model);
      if (nameError !== undefined) throw new ConfigError(`${g.where}: ${nameError}`);
      layer = validateConfigLayer(g.layer[1], g.where);
    } else {
      [model, layer] = parseOverride(g.raw, g.where);
    }
    out[model] = mergeConfigLayers(out[model] ?? {}, layer);
  }
  return out;
}

/**
 * `infergate serve` options -> ServeConfig. `argv` holds the arguments after "serve".
 * Throws ConfigError (exit status 2 territory) on any bad or unknown option.
 */
export function resolveServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv, deps: ResolveDeps = {}): ServeConfig {
  const cwd = deps.cwd ?? process.cwd();
  const cpuCount = deps.cpuCount ?? availableParallelism();
  const warnings: string[] = [];
  const flags = fromArgv(argv, SERVE_OPTIONS, 'serve', cwd);
  const envs = fromEnv(env, SERVE_OPTIONS, cwd, warnings);
  const configSpec = SERVE_OPTIONS.find((s) => s.key === 'config')!;
  const configGiven = (flags.get(configSpec) ?? envs.get(configSpec))?.at(-1);
  const configFile = configGiven === undefined ? undefined : checkValue(configSpec, configGiven.raw, configGiven.where, cwd) as string;
  const file = configFile === undefined ? new Map<OptionSpec, Given[]>()
    : fromFile(configFile, SERVE_OPTIONS, deps.readFile ?? ((p) => readFileSync(p, 'utf8')));

  const values: Record<string, unknown> = {};
  const sources: Record<string, OptionSource> = {};
  let modelDefaults: ModelConfigJson = {};
  let modelOverrides: Record<string, ModelConfigJson> = {};
  for (const spec of SERVE_OPTIONS) {
    if (spec.kind.type === 'model-override') {
      const all = [...(file.get(spec) ?? []), ...(envs.get(spec) ?? []), ...(flags.get(spec) ?? [])];
      modelOverrides = overridesOf(all);
      sources[spec.key] = all.at(-1)?.source ?? 'default';
      continue;
    }
    const given = (flags.get(spec) ?? envs.get(spec) ?? file.get(spec))?.at(-1);
    sources[spec.key] = given?.source ?? 'default';
    if (given === undefined) continue;
    const v = checkValue(spec, given.raw, given.where, given.base);
    values[spec.key] = v;
    if (spec.modelKey !== undefined) modelDefaults = mergeConfigLayers(modelDefaults, configPatch(spec.modelKey.split('.'), v));
  }
  if (values.modelRepository === undefined) {
    throw new ConfigError('--model-repository is required (or INFERGATE_MODEL_REPOSITORY, or "modelRepository" in the config file)');
  }
  // Already checked option by option; this re-check guards the two tables against drifting apart.
  modelDefaults = validateConfigLayer(modelDefaults, 'server defaults');
  const workers = (values.workers as number | undefined) ?? Math.max(1, cpuCount);
  const threads = values.intraOpThreads as number | undefined;
  if (threads === undefined) {
    // Use every core: the batch is the unit of parallelism, so a worker's ORT threads split it.
    modelDefaults = mergeConfigLayers(modelDefaults, configPatch(['runtime', 'intra_op_threads'], Math.max(1, Math.floor(cpuCount / workers))));
  }
  if (threads !== undefined && workers * Math.max(1, threads) > cpuCount) {
    warnings.push(`${workers} workers x ${threads} intra-op threads exceed the ${cpuCount} CPU cores: expect contention`);
  }
  const quota = deps.cpuQuotaCores !== undefined ? deps.cpuQuotaCores ?? undefined : cpuQuotaCores();
  let idleSpinThreads = values.idleSpinThreads as number | undefined;
  if (idleSpinThreads === undefined) {
    idleSpinThreads = cpuCount >= 2 && quota === undefined ? 1 : 0;
  } else if (idleSpinThreads > 0 && quota !== undefined) {
    warnings.push(`--idle-spin-threads ${idleSpinThreads} under a CPU quota of ${quota} cores: spinning counts against the quota and can get the process throttled`);
  }
  return {
    modelRepository: values.modelRepository as string,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    port: (values.port as number | undefined) ?? 8000,
    workers,
    spinUs: (values.spinUs as number | undefined) ?? 0,
    spinInFlight: (values.spinInFlight as boolean | undefined) ?? true,
    inlineMaxRows: (values.inlineMaxRows as number | undefined) ?? DEFAULT_INLINE.maxRows,
    inlineMaxComputeUs: (values.inlineMaxComputeUs as number | undefined) ?? DEFAULT_INLINE.maxComputeUs,
    quietSpinUs: (values.quietSpinUs as number | undefined) ?? DEFAULT_QUIET_SPIN_US,
    idleSpinThreads,
    idleSpinWindowUs: (values.idleSpinWindowUs as number | undefined) ?? DEFAULT_IDLE_SPIN_WINDOW_US,
    maxBodyBytes: (values.maxBodyBytes as number | undefined) ?? DEFAULT_MAX_BODY_BYTES,
    modelControlMode: (values.modelControlMode as 'none' | 'explicit' | undefined) ?? 'none',
    logLevel: (values.logLevel as LogLevel | undefined) ?? 'info',
    configFile,
    modelDefaults,
    modelOverrides,
    sources,
    warnings,
  };
}

function flagsOnly(argv: readonly string[], table: readonly OptionSpec[], command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [spec, list] of fromArgv(argv, table, command, '')) out[spec.key] = checkValue(spec, list.at(-1)!.raw, `--${spec.flag}`, '') as string;
  return out;
}

/** `infergate encode [--model NAME] [--in FILE|-] [--out FILE|-]` ("-" = stdin / stdout). */
export function parseEncodeArgs(argv: readonly string[]): EncodeArgs {
  const o = flagsOnly(argv, ENCODE_OPTIONS, 'encode');
  return { model: o.model, in: o.in ?? '-', out: o.out ?? '-' };
}

/** `infergate decode [--in FILE|-] [--out FILE|-]` ("-" = stdin / stdout). */
export function parseDecodeArgs(argv: readonly string[]): DecodeArgs {
  const o = flagsOnly(argv, DECODE_OPTIONS, 'decode');
  return { in: o.in ?? '-', out: o.out ?? '-' };
}

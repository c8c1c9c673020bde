// Command-line configuration: argv + environment + config file -> one typed ServeConfig, and the
// option parsing of `infergate encode` / `infergate decode`. Pure apart from reading the
// --config file (injectable). Every value is checked by the option tables (options.ts), which
// also generate --help (help.ts), so the two cannot drift; option-sources.ts reads each source.
//
// Precedence, highest first: command-line flag > environment (INFERGATE_<UPPER_SNAKE>) >
// config file (--config FILE, JSON, keys camelCase or kebab-case) > default (the settings tables,
// src/core/settings/; the worker, intra-op thread and idle spinner counts are computed here).
// Repeatable KEY=VALUE options (--model-override) merge across sources; for one key the higher
// source wins. A repeated single-value flag: the last one wins (wrapper scripts append flags).
//
// Model tunables (--max-batch-size, --max-queue-delay-us, ...) set server-wide defaults for every
// model; a model's config.json beats them, and --model-override beats config.json (see
// src/repository/config.ts for the layers).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cpuQuotaCores, usableCores } from './cpu-quota.js';
import { type ModelConfigJson, ConfigError, configPatch, mergeConfigLayers, validateConfigLayer } from '../repository/config.js';
import { LIMIT_SETTINGS as L, SERVER_SETTINGS as S } from '../core/settings/index.js';
import { type OptionSpec, SERVE_OPTIONS, ENCODE_OPTIONS, DECODE_OPTIONS } from './options.js';
import { type Given, type OptionSource, checkValue, fromArgv, fromEnv, fromFile, overridesOf } from './option-sources.js';

export type { OptionSource } from './option-sources.js';

export { ConfigError } from '../repository/config.js';

export { type OptionKind, type OptionSpec, SERVE_OPTIONS, ENCODE_OPTIONS, DECODE_OPTIONS } from './options.js';

/** A shorter bearer token could be guessed. */
const MIN_ADMIN_TOKEN_CHARS = 16;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ServeConfig {
  /** Absolute. */
  modelRepository: string;
  host: string;
  port: number;
  /** Health endpoints over Node's HTTP parser (HTTP/1.0 too); undefined = off. */
  healthPort: number | undefined;
  workers: number;
  /** What the worker and thread defaults were derived from (docs/decisions/007): the CPUs this
   *  process may run on, its CFS quota in cores (undefined: none) and the cores used. */
  cpuProbe: { cpus: number; quotaCores: number | undefined; cores: number };
  /** Poll-instead-of-sleep window of the thread hop (src/pool/spin.ts). */
  spinUs: number;
  spinInFlight: boolean;
  /** Inline execution of small batches on the HTTP thread (src/pool/inline.ts). */
  inlineMaxRows: number;
  inlineMaxComputeUs: number;
  quietSpinUs: number;
  /** Idle spinners (native/idle_spin.h); 0 = none. */
  idleSpinThreads: number;
  loneIntraOpThreads: number;
  idleSpinWindowUs: number;
  maxBodyBytes: number;
  /** Limits on KServe JSON and the decode thread's threshold (src/protocol/json-limits.ts). */
  json: { maxInputs: number; maxElements: number; maxStringBytes: number; maxDepth: number; scanAboveBytes: number };
  modelControlMode: 'none' | 'explicit';
  /** Versions loading at once; undefined = the repository manager's default (cores, >= 2). */
  modelLoadThreads: number | undefined;
  exitOnError: boolean;
  /** Seconds from a SIGTERM/SIGINT to the exit at the latest. */
  exitTimeoutS: number;
  /** Bearer token for model control; required with modelControlMode explicit. */
  adminToken: string | undefined;
  strictReadiness: boolean;
  /** Auto-complete of model configurations (src/repository/auto-complete.ts). */
  defaultMaxBatchSize: number;
  disableAutoCompleteConfig: boolean;
  logLevel: LogLevel;
  logFormat: 'auto' | 'json' | 'pretty';
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
  const quota = deps.cpuQuotaCores !== undefined ? deps.cpuQuotaCores ?? undefined : cpuQuotaCores();
  const cores = usableCores(cpuCount, quota);
  const workers = (values.workers as number | undefined) ?? cores;
  const threads = values.intraOpThreads as number | undefined;
  if (threads === undefined) {
    // Use every core: the batch is the unit of parallelism, so a worker's ORT threads split it
    // (see docs/decisions/007).
    modelDefaults = mergeConfigLayers(modelDefaults, configPatch(['runtime', 'intra_op_threads'], Math.max(1, Math.floor(cores / workers))));
  }
  const coresText = quota === undefined ? `${cores} CPU cores` : `${cores} CPU cores (CPU quota ${quota})`;
  if (threads !== undefined && workers * Math.max(1, threads) > cores) {
    warnings.push(`${workers} workers x ${threads} intra-op threads exceed the ${coresText}: expect contention`);
  }
  let idleSpinThreads = values.idleSpinThreads as number | undefined;
  if (idleSpinThreads === undefined) {
    idleSpinThreads = cpuCount >= 2 && quota === undefined ? S.idleSpinThreads.default : 0;
  } else if (idleSpinThreads > 0 && quota !== undefined) {
    warnings.push(`--idle-spin-threads ${idleSpinThreads} under a CPU quota of ${quota} cores: spinning counts against the quota and can get the process throttled`);
  }
  const loneIntraOpThreads = (values.loneIntraOpThreads as number | undefined) ?? S.loneIntraOpThreads.default;
  if (loneIntraOpThreads === 1) throw new ConfigError('--lone-intra-op-threads must be 0 (off) or at least 2: one thread is what the shared session has');
  if (loneIntraOpThreads > 0 && (quota !== undefined || cpuCount < 2)) {
    warnings.push(`--lone-intra-op-threads ${loneIntraOpThreads} on ${cpuCount} CPU(s)${quota === undefined ? '' : ` under a CPU quota of ${quota} cores`}: its spinning thread takes a core the work needs (and counts against a quota)`);
  }
  const adminToken = values.adminToken as string | undefined;
  if ((values.modelControlMode ?? S.modelControlMode.default) === 'explicit' && adminToken === undefined) {
    throw new ConfigError('--model-control-mode explicit needs an admin token for the load and unload endpoints: set INFERGATE_ADMIN_TOKEN (or --admin-token)');
  }
  if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN_CHARS) {
    throw new ConfigError(`the admin token must be at least ${MIN_ADMIN_TOKEN_CHARS} characters (e.g. openssl rand -hex 16)`);
  }
  // A value given, else the row's one default.
  const value = <K extends keyof typeof S>(k: K): NonNullable<(typeof S)[K]['default']> =>
    (values[k] ?? S[k].default) as NonNullable<(typeof S)[K]['default']>;
  const limit = (k: keyof typeof L): number => (values[k] ?? L[k].default) as number;
  return {
    modelRepository: values.modelRepository as string,
    host: value('host'),
    port: value('port'),
    healthPort: values.healthPort as number | undefined,
    workers,
    cpuProbe: { cpus: cpuCount, quotaCores: quota, cores },
    spinUs: value('spinUs'),
    spinInFlight: value('spinInFlight'),
    inlineMaxRows: value('inlineMaxRows'),
    inlineMaxComputeUs: value('inlineMaxComputeUs'),
    quietSpinUs: value('quietSpinUs'),
    idleSpinThreads,
    loneIntraOpThreads,
    idleSpinWindowUs: value('idleSpinWindowUs'),
    maxBodyBytes: value('maxBodyBytes'),
    json: {
      maxInputs: limit('maxInputs'), maxElements: limit('maxJsonElements'), maxStringBytes: limit('maxJsonStringBytes'),
      maxDepth: limit('maxJsonDepth'), scanAboveBytes: limit('jsonOffloadBytes'),
    },
    modelControlMode: value('modelControlMode'),
    modelLoadThreads: values.modelLoadThreads as number | undefined,
    exitOnError: value('exitOnError'),
    exitTimeoutS: value('exitTimeoutS'),
    adminToken,
    strictReadiness: value('strictReadiness'),
    defaultMaxBatchSize: value('defaultMaxBatchSize'),
    disableAutoCompleteConfig: value('disableAutoCompleteConfig'),
    logLevel: value('logLevel'),
    logFormat: value('logFormat'),
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

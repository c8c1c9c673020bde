// The shape of a settings table row. A row is the one statement of a setting: its name in each
// place it can be given (config.json, command line, environment), its type and range, its one
// default, its unit and a one-line help. Everything else (the CLI parser, --help, config.json
// validation, the batcher's validation and defaults, the README's table, the sweep's grid) is
// derived from the rows, so a default or a range is written once.
//
// This module imports nothing: every layer may import it.

/** A value's type and range. One kind serves every source: each layer formats its own messages. */
export type SettingKind =
  | { type: 'string' }
  /** A file system path; resolved against the cwd (or the config file's folder). */
  | { type: 'path' }
  /** `expected` is the message text when not "an integer in min..max". */
  | { type: 'int'; min: number; max: number; expected?: string }
  /** Bytes, with an optional KiB / MiB / GiB suffix on the command line. */
  | { type: 'bytes'; min: number; max: number }
  | { type: 'enum'; values: readonly (string | number)[] }
  | { type: 'bool' }
  /** Distinct positive integers (batch sizes), kept ascending. */
  | { type: 'sizes'; expected?: string }
  /** config.json's execution_providers list (validated by its own code: nested objects). */
  | { type: 'providers' }
  /** Repeatable MODEL.KEY=VALUE (`--model-override`). */
  | { type: 'model-override' };

export type SettingGroup = 'server' | 'batching' | 'runtime' | 'warmup' | 'concurrency';

export interface Setting<T = unknown> {
  /** camelCase: the typed config's field and the --config file's key. */
  readonly key: string;
  readonly group: SettingGroup;
  /** config.json key path ("dynamic_batching.max_queue_delay_microseconds"), where the
   *  setting exists per model; undefined for server-wide settings. */
  readonly configKey: string | undefined;
  /** `infergate serve` flag without the dashes; undefined when config.json is the only way. */
  readonly flag: string | undefined;
  /** INFERGATE_<FLAG IN UPPER SNAKE CASE>, or undefined for a setting without a flag. */
  readonly env: string | undefined;
  /** The value's placeholder in --help ('' for booleans). */
  readonly arg: string;
  readonly kind: SettingKind;
  /** The one default. Where serve computes it at start-up (cores, workers), this is the value a
   *  library user gets and `defaultText` says how serve computes it. */
  readonly default: T;
  /** The default as --help and the README print it. */
  readonly defaultText: string;
  /** Unit of the value ('' when it has none). */
  readonly unit: string;
  /** One line, no measurements: those live in the decision record (`decision`). */
  readonly help: string;
  /** docs/decisions/<decision>-*.md records why the default is what it is. */
  readonly decision: string | undefined;
  /** May appear in the --config file (everything but --config itself). */
  readonly inFile: boolean;
}

/** A row as written in a table; `key` and `group` come from where it sits, the rest is derived. */
export interface RowSpec<T> {
  configKey?: string;
  flag?: string;
  /** null: a flag without an environment variable. */
  env?: null;
  arg?: string;
  kind: SettingKind;
  default: T;
  defaultText?: string;
  unit: string;
  help: string;
  decision?: string;
  inFile?: boolean;
}

export type SettingsTable<R extends Record<string, RowSpec<unknown>>> = { readonly [K in keyof R]: Setting<R[K]['default']> };

const MIB = 1024 * 1024;

/** How a default value prints: 64MiB, true, [] ... */
export function formatDefault(kind: SettingKind, v: unknown): string {
  if (v === undefined) return '(none)';
  if (kind.type === 'bytes' && typeof v === 'number' && v % (1024 * MIB) === 0) return `${v / (1024 * MIB)}GiB`;
  if (kind.type === 'bytes' && typeof v === 'number' && v % MIB === 0) return `${v / MIB}MiB`;
  if (Array.isArray(v)) return v.length === 0 ? '[] (none)' : `[${v.join(', ')}]`;
  return String(v);
}

function argOf(kind: SettingKind, unit: string): string {
  switch (kind.type) {
    case 'bool': return '';
    case 'path': return 'FILE';
    case 'bytes': return 'BYTES';
    case 'enum': return 'VALUE';
    case 'model-override': return 'MODEL.KEY=VALUE';
    default: return unit === 'us' ? 'US' : unit === 's' ? 'S' : 'N';
  }
}

/** Fills each row's key, group, env, arg and defaultText; freezes the table. */
export function defineTable<R extends Record<string, RowSpec<unknown>>>(group: SettingGroup, rows: R): SettingsTable<R> {
  const out: Record<string, Setting> = {};
  for (const [key, r] of Object.entries(rows)) {
    const env = r.flag === undefined || r.env === null ? undefined : `INFERGATE_${r.flag.toUpperCase().replace(/-/g, '_')}`;
    out[key] = Object.freeze({
      key, group, configKey: r.configKey, flag: r.flag, env, arg: r.arg ?? argOf(r.kind, r.unit), kind: r.kind,
      default: r.default, defaultText: r.defaultText ?? formatDefault(r.kind, r.default), unit: r.unit, help: r.help,
      decision: r.decision, inFile: r.inFile ?? true,
    });
  }
  return Object.freeze(out) as SettingsTable<R>;
}

/** { key: default } of a table. */
export function defaultsOf<R extends Record<string, Setting>>(table: R): { readonly [K in keyof R]: R[K]['default'] } {
  return Object.freeze(Object.fromEntries(Object.values(table).map((s) => [s.key, s.default]))) as { readonly [K in keyof R]: R[K]['default'] };
}

/** The rows of a table, in table order. */
export function rowsOf(table: Readonly<Record<string, Setting>>): readonly Setting[] {
  return Object.values(table);
}

/** The message text for an int kind: "a non-negative integer", "an integer in 0..65535". */
export function expectedInt(kind: { min: number; max: number; expected?: string }): string {
  return kind.expected ?? `an integer in ${kind.min}..${kind.max}`;
}

export const MAX_INT = Number.MAX_SAFE_INTEGER;
export const NON_NEGATIVE: SettingKind = { type: 'int', min: 0, max: MAX_INT, expected: 'a non-negative integer' };
export const POSITIVE: SettingKind = { type: 'int', min: 1, max: MAX_INT, expected: 'a positive integer' };

/** The values a kind takes, for tables: "0..65535", ">= 1", "split, reject". */
export function rangeText(kind: SettingKind): string {
  switch (kind.type) {
    case 'int': return kind.max === MAX_INT ? `>= ${kind.min}` : `${kind.min}..${kind.max}`;
    case 'bytes': return `${kind.min}..${formatDefault(kind, kind.max)}`;
    case 'enum': return kind.values.join(', ');
    case 'bool': return 'true, false';
    case 'sizes': return 'distinct integers >= 1';
    case 'providers': return 'cpu, cuda, tensorrt';
    case 'model-override': return 'MODEL.KEY=VALUE';
    default: return 'text';
  }
}

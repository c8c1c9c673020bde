// Validation of one config.json-shaped layer (a model's config.json, the server's flag
// defaults, a --model-override): a table of leaf checkers, unknown keys with suggestions, and
// the one message shape `<source>: <path> must be <expected> (got <value>)`. Split from
// config.ts, which turns validated layers into a ModelConfig.
import type { DataType } from '../core/types.js';
import { ALL_SETTINGS, BATCHING_SETTINGS, expectedInt, type Setting } from '../core/settings/index.js';
import type { ModelConfigJson, ProviderConfigJson, TensorConfigJson, VersionPolicyJson } from './config.js';
// ---------------------------------------------------------------------------------------------
// Errors and helpers shared with src/cli/config.ts

/** A bad configuration value (file, flag, environment). Start-up errors, not request errors. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The offending value as it appeared, short enough for one log line. */
export function formatGot(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Optimal-string-alignment distance (a transposition costs 1: "prot" -> "port"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate a typo most likely meant, or undefined when none is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestD) { best = c; bestD = dist; }
  }
  if (bestD <= Math.max(1, Math.floor(name.length / 3))) return best;
  // A truncated name ("max_batch" for "max_batch_size") is far in edits but plain to a reader.
  const lower = name.toLowerCase();
  const prefixed = candidates.filter((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

function unknownKey(src: string, path: string, key: string, allowed: readonly string[]): never {
  const near = closestName(key, allowed);
  const hint = near !== undefined ? `did you mean "${near}"?` : allowed.length === 0 ? 'no keys allowed here' : `known keys: ${allowed.join(', ')}`;
  throw new ConfigError(`${src}: unknown key "${path}" (${hint})`);
}

export function bad(src: string, path: string, expected: string, got: unknown): never {
  throw new ConfigError(`${src}: ${path} must be ${expected} (got ${formatGot(got)})`);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
export const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

// ---------------------------------------------------------------------------------------------
// Layer validation: a table of leaf checkers; each returns the normalized value or BAD.

const BAD = Symbol('bad');
type Check = { expected: string; parse: (v: unknown) => unknown };

/** Integers may also come as digit strings: Triton's JSON form writes 64-bit ints that way. */
function toInt(v: unknown): number | typeof BAD {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v + 0; // + 0 turns -0 into 0
  if (typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v)) return Number(v) + 0;
  return BAD;
}
function intIn(min: number, max: number, expected: string): Check {
  return { expected, parse: (v) => { const n = toInt(v); return n !== BAD && n >= min && n <= max ? n : BAD; } };
}
const NON_NEG_INT = intIn(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
const POS_INT = intIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
const BOOL: Check = { expected: 'true or false', parse: (v) => (typeof v === 'boolean' ? v : BAD) };
const NON_EMPTY_STRING: Check = { expected: 'a non-empty string', parse: (v) => (typeof v === 'string' && v !== '' ? v : BAD) };
function oneOf<T extends string | number>(values: readonly T[]): Check {
  return { expected: `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, parse: (v) => (values.includes(v as T) ? v : BAD) };
}
/** Distinct positive integers, returned ascending. */
const SIZE_LIST: Check = {
  expected: 'an array of distinct positive integers',
  parse: (v) => {
    if (!Array.isArray(v)) return BAD;
    const out = v.map(toInt);
    if (out.some((n) => n === BAD || n < 1) || new Set(out).size !== out.length) return BAD;
    return (out as number[]).sort((a, b) => a - b);
  },
};
const DATATYPE_NAMES: readonly DataType[] = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16',
  'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'];
/** KServe names ("FP32") or Triton's ("TYPE_FP32"; Triton calls BYTES "TYPE_STRING"). */
const DATATYPE: Check = {
  expected: `a datatype (${DATATYPE_NAMES.join(', ')}; a "TYPE_" prefix is accepted)`,
  parse: (v) => {
    if (typeof v !== 'string') return BAD;
    const s = v === 'TYPE_STRING' ? 'BYTES' : v.startsWith('TYPE_') ? v.slice(5) : v;
    return (DATATYPE_NAMES as readonly string[]).includes(s) ? s : BAD;
  },
};
const DIMS: Check = {
  expected: 'an array of integers, each >= 1 or -1 (dynamic)',
  parse: (v) => {
    if (!Array.isArray(v)) return BAD;
    const out = v.map(toInt);
    return out.some((n) => n === BAD || (n < 1 && n !== -1)) ? BAD : out;
  },
};

type Fields = Readonly<Record<string, Check | 'custom'>>;

/** The check of a settings row's kind (src/core/settings/): one range per setting. */
function checkOf(s: Setting): Check | 'custom' {
  const k = s.kind;
  switch (k.type) {
    case 'int': return intIn(k.min, k.max, expectedInt(k));
    case 'bool': return BOOL;
    case 'enum': return oneOf(k.values);
    case 'sizes': return k.expected === undefined ? SIZE_LIST : { ...SIZE_LIST, expected: k.expected };
    default: return 'custom'; // execution_providers: checkProviders
  }
}

/** The leaf fields of one config.json section, from the rows whose configKey lies in it. */
function sectionOf(section: string): Fields {
  const rows = ALL_SETTINGS.filter((s) => s.configKey?.startsWith(`${section}.`));
  return Object.fromEntries(rows.map((s) => [s.configKey!.slice(section.length + 1), checkOf(s)]));
}

export const SECTION_FIELDS = {
  dynamic_batching: sectionOf('dynamic_batching'),
  runtime: sectionOf('runtime'),
  warmup: sectionOf('warmup'),
} as const satisfies Record<string, Fields>;
type SectionName = keyof typeof SECTION_FIELDS;
export const TOP_FIELDS: Fields = {
  name: NON_EMPTY_STRING, platform: oneOf(['onnxruntime_onnx']), max_batch_size: checkOf(BATCHING_SETTINGS.maxBatchSize),
  input: 'custom', output: 'custom', version_policy: 'custom',
  dynamic_batching: 'custom', runtime: 'custom', warmup: 'custom',
};

function checkValue(c: Check, v: unknown, src: string, path: string): unknown {
  const r = c.parse(v);
  return r === BAD ? bad(src, path, c.expected, v) : r;
}

function checkObject(v: unknown, src: string, path: string, fields: Fields,
  custom: (k: string, v: unknown, path: string) => unknown = () => undefined): Record<string, unknown> {
  if (!isPlainObject(v)) bad(src, path === '' ? 'config' : path, 'a JSON object', v);
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const p = join(path, k);
    const f = has(fields, k) ? fields[k] : undefined;
    if (f === undefined) unknownKey(src, p, k, Object.keys(fields));
    out[k] = f === 'custom' ? custom(k, val, p) : checkValue(f, val, src, p);
  }
  return out;
}

function checkTensors(v: unknown, src: string, path: string): TensorConfigJson[] {
  if (!Array.isArray(v) || v.length === 0) bad(src, path, 'a non-empty array of {name, data_type, dims}', v);
  const seen = new Set<string>();
  return v.map((t, i) => {
    const p = `${path}[${i}]`;
    const o = checkObject(t, src, p, { name: NON_EMPTY_STRING, data_type: DATATYPE, dims: DIMS });
    for (const k of ['name', 'data_type', 'dims']) if (!has(o, k)) throw new ConfigError(`${src}: ${p}.${k} is required`);
    if (seen.has(o.name as string)) bad(src, `${p}.name`, 'unique', o.name);
    seen.add(o.name as string);
    return o as unknown as TensorConfigJson;
  });
}

function checkVersionPolicy(v: unknown, src: string, path: string): VersionPolicyJson {
  const kinds = ['latest', 'all', 'specific'];
  if (!isPlainObject(v) || Object.keys(v).length !== 1) {
    bad(src, path, 'an object with exactly one of "latest", "all", "specific"', v);
  }
  const [kind, body] = Object.entries(v)[0]!;
  const p = join(path, kind);
  if (kind === 'latest') return { latest: checkObject(body, src, p, { num_versions: POS_INT }) };
  if (kind === 'all') return { all: checkObject(body, src, p, {}) as Record<string, never> };
  if (kind === 'specific') {
    const o = checkObject(body, src, p, { versions: { ...SIZE_LIST, expected: 'a non-empty array of distinct positive integers' } });
    if (!Array.isArray(o.versions) || o.versions.length === 0) {
      bad(src, `${p}.versions`, 'a non-empty array of distinct positive integers', o.versions);
    }
    return { specific: { versions: o.versions as number[] } };
  }
  return unknownKey(src, p, kind, kinds);
}

const PROVIDER_FIELDS: Readonly<Record<string, Fields>> = {
  cpu: { name: 'custom' },
  cuda: { name: 'custom', device_id: NON_NEG_INT, options: 'custom' },
  tensorrt: { name: 'custom', device_id: NON_NEG_INT, fp16: BOOL, engine_cache_dir: NON_EMPTY_STRING, options: 'custom' },
};

function checkProviders(v: unknown, src: string, path: string): ProviderConfigJson[] {
  if (!Array.isArray(v) || v.length === 0) bad(src, path, 'a non-empty array of providers', v);
  const names = v.map((p: unknown, i) => {
    const name = isPlainObject(p) ? p.name : undefined;
    return checkValue(oneOf(Object.keys(PROVIDER_FIELDS)), name, src, `${path}[${i}].name`) as string;
  });
  return v.map((p: unknown, i) => {
    const pp = `${path}[${i}]`;
    if (names.indexOf(names[i]!) !== i) bad(src, `${pp}.name`, 'listed once', names[i]);
    // ORT gives each node to the first provider that takes it; CPU takes all, so it goes last.
    if (names[i] === 'cpu' && i !== v.length - 1) bad(src, `${pp}.name`, 'last when "cpu" (providers after it are never used)', 'cpu');
    return checkObject(p, src, pp, PROVIDER_FIELDS[names[i]!]!, (k, val, kp) => {
      if (k === 'name') return val;
      if (!isPlainObject(val)) bad(src, kp, 'an object of string values', val);
      return Object.fromEntries(Object.entries(val).map(([ok, ov]) => {
        // ORT takes provider options as strings; numbers and booleans are spelled the usual way.
        if (typeof ov === 'string' || typeof ov === 'boolean' || (typeof ov === 'number' && Number.isFinite(ov))) return [ok, String(ov)];
        return bad(src, `${kp}.${ok}`, 'a string, number or boolean', ov);
      }));
    }) as unknown as ProviderConfigJson;
  });
}

/**
 * Validates one layer (a config.json's content, a server-defaults or an override object) on its
 * own: known keys, value types and ranges. Cross-field rules wait for the merged result.
 * `src` labels errors: "ranker/config.json", "--model-override ranker", ...
 */
export function validateConfigLayer(raw: unknown, src: string): ModelConfigJson {
  return checkObject(raw, src, '', TOP_FIELDS, (k, v, p) => {
    if (k === 'input' || k === 'output') return checkTensors(v, src, p);
    if (k === 'version_policy') return checkVersionPolicy(v, src, p);
    return checkObject(v, src, p, SECTION_FIELDS[k as SectionName], (ck, cv, cp) => checkProviders(cv, src, cp));
  }) as ModelConfigJson;
}

/** Merges validated layers, lowest precedence first: sections key by key, anything else whole. */
export function mergeConfigLayers(...layers: ModelConfigJson[]): ModelConfigJson {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      out[k] = has(SECTION_FIELDS, k) && isPlainObject(out[k]) ? { ...(out[k] as object), ...v } : v;
    }
  }
  return out as ModelConfigJson;
}


// The leaf checks of config.json-shaped layers, and the one error message shape
// `<source>: <path> must be <expected> (got <value>)`: shared by config-validate.ts (the layer as
// a whole) and warmup-config.ts (model_warmup).
import type { DataType } from '../core/types.js';

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

export function unknownKey(src: string, path: string, key: string, allowed: readonly string[]): never {
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

export const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
export const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

// ---------------------------------------------------------------------------------------------
// Layer validation: a table of leaf checkers; each returns the normalized value or BAD.

export const BAD = Symbol('bad');
export type Check = { expected: string; parse: (v: unknown) => unknown };

/** Integers may also come as digit strings: Triton's JSON form writes 64-bit ints that way. */
export function toInt(v: unknown): number | typeof BAD {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v + 0; // + 0 turns -0 into 0
  if (typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v)) return Number(v) + 0;
  return BAD;
}
export function intIn(min: number, max: number, expected: string): Check {
  return { expected, parse: (v) => { const n = toInt(v); return n !== BAD && n >= min && n <= max ? n : BAD; } };
}
export const NON_NEG_INT = intIn(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
export const POS_INT = intIn(1, Number.MAX_SAFE_INTEGER, 'a positive integer');
export const BOOL: Check = { expected: 'true or false', parse: (v) => (typeof v === 'boolean' ? v : BAD) };
export const NON_EMPTY_STRING: Check = { expected: 'a non-empty string', parse: (v) => (typeof v === 'string' && v !== '' ? v : BAD) };
export function oneOf<T extends string | number>(values: readonly T[]): Check {
  return { expected: `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, parse: (v) => (values.includes(v as T) ? v : BAD) };
}
/** Distinct positive integers, returned ascending. */
export const SIZE_LIST: Check = {
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
export const DATATYPE: Check = {
  expected: `a datatype (${DATATYPE_NAMES.join(', ')}; a "TYPE_" prefix is accepted)`,
  parse: (v) => {
    if (typeof v !== 'string') return BAD;
    const s = v === 'TYPE_STRING' ? 'BYTES' : v.startsWith('TYPE_') ? v.slice(5) : v;
    return (DATATYPE_NAMES as readonly string[]).includes(s) ? s : BAD;
  },
};
export const DIMS: Check = {
  expected: 'an array of integers, each >= 1 or -1 (dynamic)',
  parse: (v) => {
    if (!Array.isArray(v)) return BAD;
    const out = v.map(toInt);
    return out.some((n) => n === BAD || (n < 1 && n !== -1)) ? BAD : out;
  },
};

export type Fields = Readonly<Record<string, Check | 'custom'>>;

export function checkValue(c: Check, v: unknown, src: string, path: string): unknown {
  const r = c.parse(v);
  return r === BAD ? bad(src, path, c.expected, v) : r;
}

export function checkObject(v: unknown, src: string, path: string, fields: Fields,
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


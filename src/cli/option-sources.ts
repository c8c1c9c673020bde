// Where option values come from: the command line, the environment (INFERGATE_<UPPER_SNAKE>) and
// the --config file. Each source yields, per option of a table, the values it gave, already
// checked against the option's kind and range (options.ts); config.ts merges the sources by
// precedence. Error messages (ConfigError) have one shape: `<where> must be <expected> (got
// <value>)`, where <where> is `--port`, `INFERGATE_PORT` or `<config file>: port`.
import { dirname, resolve } from 'node:path';
import {
  type ModelConfigJson, ConfigError, closestConfigKey, closestName, configKeyPath, configPatch,
  formatGot, isPlainObject, mergeConfigLayers, validateConfigLayer,
} from '../repository/config.js';
import { checkModelName } from '../repository/scan.js';
import type { OptionSpec } from './options.js';

export type OptionSource = 'flag' | 'env' | 'file' | 'default';

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
export function checkValue(spec: OptionSpec, raw: unknown, where: string, base: string): unknown {
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
    case 'sizes':
    case 'providers':
      // No row with a flag has these kinds (a test holds the tables to that).
      throw new Error(`${k.type} is not a scalar option`);
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

export interface Given {
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
export function fromArgv(argv: readonly string[], table: readonly OptionSpec[], command: string, cwd: string): Map<OptionSpec, Given[]> {
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

export function fromEnv(env: NodeJS.ProcessEnv, table: readonly OptionSpec[], cwd: string, warnings: string[]): Map<OptionSpec, Given[]> {
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

export function fromFile(path: string, table: readonly OptionSpec[], readFile: (p: string) => string): Map<OptionSpec, Given[]> {
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

export function overridesOf(givens: readonly Given[]): Record<string, ModelConfigJson> {
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

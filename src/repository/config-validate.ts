// Validation of one config.json-shaped layer (a model's config.json, the server's flag
// defaults, a --model-override): a table of leaf checkers, unknown keys with suggestions, and
// the one message shape `<source>: <path> must be <expected> (got <value>)`. Split from
// config.ts, which turns validated layers into a ModelConfig.
import { ALL_SETTINGS, BATCHING_SETTINGS, expectedInt, type Setting } from '../core/settings/index.js';
import type { ModelConfigJson, ProviderConfigJson, TensorConfigJson, VersionPolicyJson } from './config-types.js';
import { checkModelWarmup } from './warmup-config.js';
import { checkRouting } from './routing.js';
import {
  bad, BOOL, checkObject, ConfigError, checkValue, DATATYPE, DIMS, has, intIn, isPlainObject, join, NON_EMPTY_STRING, NON_NEG_INT, oneOf, POS_INT,
  SIZE_LIST, unknownKey, type Check, type Fields,
} from './config-checks.js';

export { bad, closestName, ConfigError, formatGot, has, isPlainObject } from './config-checks.js';

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
  concurrency_limit: sectionOf('concurrency_limit'),
} as const satisfies Record<string, Fields>;
type SectionName = keyof typeof SECTION_FIELDS;
export const TOP_FIELDS: Fields = {
  name: NON_EMPTY_STRING, platform: oneOf(['onnxruntime_onnx']), max_batch_size: checkOf(BATCHING_SETTINGS.maxBatchSize),
  input: 'custom', output: 'custom', version_policy: 'custom',
  dynamic_batching: 'custom', runtime: 'custom', warmup: 'custom', model_warmup: 'custom', concurrency_limit: 'custom', routing: 'custom',
};

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
    if (k === 'model_warmup') return checkModelWarmup(v, src, p);
    if (k === 'routing') return checkRouting(v, src, p);
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


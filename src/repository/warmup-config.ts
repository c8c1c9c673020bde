// config.json's model_warmup (Triton's warm-up samples), checked as a layer and turned into
// typed samples:
//   "model_warmup": [{ "name": "s1", "batch_size": 8, "count": 2,
//                      "inputs": { "features": { "data_type": "TYPE_FP32", "dims": [128],
//                                                "random_data": true } } }]
// Each input says exactly one of zero_data, random_data or input_data_file (a file in
// <model>/warmup/). With batching, dims exclude the batch dim and batch_size (>= 1) rows are
// sent; without, dims are the whole shape and batch_size must be 0 or absent. The samples'
// names, datatypes and dims are checked against the model's tensors when it loads (warmup.ts).
import {
  bad, checkObject, ConfigError, DATATYPE, DIMS, NON_EMPTY_STRING, NON_NEG_INT, POS_INT, BOOL, isPlainObject,
} from './config-checks.js';
import type { DataType } from '../core/types.js';
import type { WarmupInputJson, WarmupSample, WarmupSampleJson } from './config-types.js';

const SOURCES = ['zero_data', 'random_data', 'input_data_file'] as const;

export function checkModelWarmup(v: unknown, src: string, path: string): WarmupSampleJson[] {
  if (!Array.isArray(v)) bad(src, path, 'an array of warm-up samples ({name, batch_size, count, inputs})', v);
  const seen = new Set<string>();
  return v.map((raw, i) => {
    const p = `${path}[${i}]`;
    const o = checkObject(raw, src, p, { name: NON_EMPTY_STRING, batch_size: NON_NEG_INT, count: POS_INT, inputs: 'custom' }, (k, iv, ip) => {
      if (!isPlainObject(iv) || Object.keys(iv).length === 0) bad(src, ip, 'an object of inputs by name', iv);
      return Object.fromEntries(Object.entries(iv).map(([name, spec]) => [name, checkInput(spec, src, `${ip}.${name}`)]));
    });
    for (const k of ['name', 'inputs']) if (o[k] === undefined) throw new ConfigError(`${src}: ${p}.${k} is required`);
    if (seen.has(o.name as string)) bad(src, `${p}.name`, 'unique', o.name);
    seen.add(o.name as string);
    return o as unknown as WarmupSampleJson;
  });
}

function checkInput(v: unknown, src: string, path: string): WarmupInputJson {
  const o = checkObject(v, src, path, {
    data_type: DATATYPE, dims: DIMS, zero_data: BOOL, random_data: BOOL,
    input_data_file: { ...NON_EMPTY_STRING, expected: 'a file name in the model\'s warmup/ folder' },
  }) as Partial<WarmupInputJson>;
  for (const k of ['data_type', 'dims'] as const) if (o[k] === undefined) throw new ConfigError(`${src}: ${path}.${k} is required`);
  if ((o.dims ?? []).includes(-1)) bad(src, `${path}.dims`, 'fixed (no -1): a sample has one shape', o.dims);
  const given = SOURCES.filter((s) => o[s] !== undefined && o[s] !== false);
  if (given.length !== 1) bad(src, path, `exactly one of ${SOURCES.join(', ')}`, given);
  const file = o.input_data_file;
  if (file !== undefined && (file.includes('/') || file.includes('\\') || file.startsWith('.'))) {
    bad(src, `${path}.input_data_file`, 'a plain file name in the model\'s warmup/ folder', file);
  }
  return o as WarmupInputJson;
}

/** Validated JSON samples -> typed samples (cross-field rules against max_batch_size here). */
export function toWarmupSamples(json: readonly WarmupSampleJson[] | undefined, maxBatchSize: number, src: string): WarmupSample[] {
  return (json ?? []).map((s, i) => {
    const p = `model_warmup[${i}]`;
    const batchSize = s.batch_size ?? (maxBatchSize > 0 ? 1 : 0);
    if (maxBatchSize > 0 && (batchSize < 1 || batchSize > maxBatchSize)) bad(src, `${p}.batch_size`, `in 1..max_batch_size (${maxBatchSize})`, batchSize);
    if (maxBatchSize === 0 && batchSize !== 0) bad(src, `${p}.batch_size`, '0 or absent when max_batch_size is 0 (no batching)', batchSize);
    return {
      name: s.name,
      batchSize,
      count: s.count ?? 1,
      inputs: Object.entries(s.inputs).map(([name, t]) => ({
        name,
        datatype: t.data_type as DataType,
        dims: [...t.dims],
        source: t.input_data_file !== undefined ? { kind: 'file' as const, file: t.input_data_file }
          : t.random_data === true ? { kind: 'random' as const } : { kind: 'zero' as const },
      })),
    };
  });
}

/** A typed sample back to its config.json form (toConfigJson's round trip). */
export function warmupSampleJson(s: WarmupSample): WarmupSampleJson {
  const inputs: Record<string, WarmupInputJson> = {};
  for (const i of s.inputs) {
    const src = i.source.kind === 'file' ? { input_data_file: i.source.file } : i.source.kind === 'random' ? { random_data: true } : { zero_data: true };
    inputs[i.name] = { data_type: i.datatype, dims: [...i.dims], ...src };
  }
  return { name: s.name, batch_size: s.batchSize, count: s.count, inputs };
}

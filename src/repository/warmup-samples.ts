// Configured warm-up (config.json model_warmup, as Triton's): each sample becomes one set of
// input tensors, checked against the model's own tensors, and repeated `count` times. Data:
// zeros; seeded random values (the same bytes every load, so a failure reproduces); or a file
// in <model>/warmup/ holding the raw tensor (row-major little-endian; BYTES in the KServe layout).
// Any mismatch throws an Error naming the sample, and the load fails: a configured warm-up is
// the model owner's word that these inputs must run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTensorBytes, DATATYPES, packBytes } from '../core/datatypes.js';
import type { TensorMetadata } from '../core/service.js';
import type { WarmupSample, WarmupSampleInput } from './config-types.js';
import type { WarmupPlan, WarmupTensor } from './warmup.js';

export function configuredWarmupPlan(samples: readonly WarmupSample[], inputs: readonly TensorMetadata[], maxBatchSize: number, modelDir: string): WarmupPlan {
  const sets: WarmupTensor[][] = [];
  const labels: string[] = [];
  for (const s of samples) {
    const fail = (what: string): never => { throw new Error(`warm-up sample "${s.name}": ${what}`); };
    const given = new Map(s.inputs.map((i) => [i.name, i]));
    for (const name of given.keys()) if (!inputs.some((m) => m.name === name)) fail(`the model has no input "${name}" (inputs: ${inputs.map((m) => m.name).join(', ')})`);
    const set = inputs.map((m) => {
      const input = given.get(m.name) ?? fail(`input "${m.name}" is missing`);
      if (input.datatype !== m.datatype) fail(`input "${m.name}" is ${m.datatype} in the model, ${input.datatype} in the sample`);
      const shape = maxBatchSize > 0 ? [s.batchSize, ...input.dims] : [...input.dims];
      const fits = shape.length === m.shape.length && shape.every((d, i) => m.shape[i] === -1 || m.shape[i] === d || (maxBatchSize > 0 && i === 0));
      if (!fits) fail(`input "${m.name}" has shape [${shape.join(',')}], which does not fit the model's [${m.shape.join(',')}]`);
      try {
        return tensor(input, shape, modelDir, `${s.name}/${m.name}`);
      } catch (e) {
        return fail(`input "${m.name}": ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    for (let i = 0; i < s.count; i++) {
      sets.push(set);
      labels.push(s.name);
    }
  }
  return { sets, required: true, labels };
}

function tensor(input: WarmupSampleInput, shape: number[], modelDir: string, seedText: string): WarmupTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  const size = DATATYPES[input.datatype].byteSize;
  let bytes: Uint8Array;
  if (input.source.kind === 'file') {
    const path = join(modelDir, 'warmup', input.source.file);
    bytes = new Uint8Array(readFileSync(path));
    checkTensorBytes(input.datatype, shape, bytes, `file warmup/${input.source.file}`);
  } else if (input.source.kind === 'zero') {
    bytes = size === 0 ? packBytes(new Array<string>(count).fill('')) : new Uint8Array(count * size);
  } else {
    bytes = randomBytes(input.datatype, count, seedOf(seedText));
  }
  return { name: input.name, datatype: input.datatype, shape, buffer: bytes.buffer as ArrayBuffer, byteOffset: bytes.byteOffset, byteLength: bytes.byteLength };
}

/** Random values valid for the type: floats in [0, 1), small non-negative integers (indices
 *  stay small), booleans, short ASCII strings. mulberry32 from a seed of the sample's name. */
function randomBytes(datatype: WarmupSampleInput['datatype'], count: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  if (datatype === 'BYTES') return packBytes(Array.from({ length: count }, () => Math.floor(next() * 1e9).toString(36)));
  const info = DATATYPES[datatype];
  const view = new info.view!(new ArrayBuffer(count * info.byteSize), 0, count);
  for (let i = 0; i < count; i++) {
    const r = next();
    if (view instanceof BigInt64Array || view instanceof BigUint64Array) view[i] = BigInt(Math.floor(r * 8));
    else if (datatype === 'FP32' || datatype === 'FP64') view[i] = r;
    else if (datatype === 'FP16') view[i] = 0x3c00; // 1.0: a valid half whatever the draw
    else if (datatype === 'BOOL') view[i] = r < 0.5 ? 0 : 1;
    else view[i] = Math.floor(r * 8);
  }
  return new Uint8Array(view.buffer);
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

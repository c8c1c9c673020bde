// Synthetic inputs for warm-up: one set per batch size the batcher will form, so the first
// caller never pays a new shape's first-run cost (seconds on TensorRT, milliseconds on CPU).
// Dynamic non-batch dims are warmed at 1. Values are zeros, of any dtype (for an embedding
// lookup, index 0 always exists), but not valid for every model: the default plan is best effort.
import { DATATYPES, packBytes } from '../core/datatypes.js';
import type { DataType } from '../core/types.js';
import type { TensorMetadata } from '../core/service.js';

export interface WarmupTensor {
  name: string;
  datatype: DataType;
  shape: number[];
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

/** What runs before a version reports ready. `required`: a failure fails the load (a configured
 *  sample list); otherwise it is logged and the version is ready anyway (the default zeros,
 *  which some valid models reject: a Reshape's target shape, a Range's limits...). */
export interface WarmupPlan {
  sets: WarmupTensor[][];
  required: boolean;
  /** The configured sample each set comes from, to name it when it fails. */
  labels?: string[];
}

export function defaultWarmupPlan(inputs: readonly TensorMetadata[], maxBatchSize: number, batchSizes: readonly number[]): WarmupPlan {
  return { sets: warmupInputs(inputs, maxBatchSize, batchSizes), required: false };
}

export function warmupInputs(inputs: readonly TensorMetadata[], maxBatchSize: number, batchSizes: readonly number[]): WarmupTensor[][] {
  const sets: WarmupTensor[][] = [];
  if (maxBatchSize > 0) {
    for (const b of batchSizes) sets.push(inputs.map((m) => zeros(m, [b, ...m.shape.slice(1).map((x) => (x < 0 ? 1 : x))])));
  } else if (inputs.every((m) => m.shape.every((x) => x >= 0))) {
    // Without batching the callers choose the shapes; only a fully fixed model has one to warm.
    sets.push(inputs.map((m) => zeros(m, m.shape)));
  }
  return sets;
}

function zeros(m: TensorMetadata, shape: number[]): WarmupTensor {
  const datatype = m.datatype as DataType;
  const count = shape.reduce((a, b) => a * b, 1);
  const size = DATATYPES[datatype].byteSize;
  const bytes = size === 0 ? packBytes(new Array<string>(count).fill('')) : new Uint8Array(count * size);
  return { name: m.name, datatype, shape, buffer: bytes.buffer as ArrayBuffer, byteOffset: bytes.byteOffset, byteLength: bytes.byteLength };
}

// Checks a decoded request against a loaded model's metadata before it is queued, so that every
// bad input is answered 400 with a message naming the tensor, and nothing malformed ever
// reaches the batcher or ONNX Runtime. Returns the request's tensors keyed by model input name.
import { err } from '../core/errors.js';
import { checkTensorBytes } from '../core/datatypes.js';
import type { InferRequest, WireTensor } from '../core/types.js';
import type { RowTensor } from '../batching/index.js';
import type { TensorMetadata } from '../core/service.js';

export interface ValidatedRequest {
  inputs: Record<string, RowTensor>;
  /** Rows (dim 0) when the model batches; 1 when it does not. */
  rows: number;
  /** Output names to return; all when the request named none. */
  outputs: string[];
  /** Set once the request is settled (answered, failed or cancelled): from then on its tensors'
   *  bytes may belong to another request (the body pool, src/server/body.ts), so it must not
   *  run again (model-pipeline.ts reruns a failed batch request by request). */
  settled: boolean;
}

/** The model's side of validation. `outputNames` is the outputs' names in order (the default
 *  when a request names none; copied per request since callers may keep it). */
export interface ValidationModel {
  name: string;
  inputs: readonly TensorMetadata[];
  outputs: readonly TensorMetadata[];
  outputNames: readonly string[];
  maxBatchSize: number;
}

/** The tensor named `name`, or undefined. A linear scan: requests carry a handful of tensors,
 *  and this runs per request (no Map or Set per request). */
function byName<X extends { name: string }>(list: readonly X[], name: string): X | undefined {
  for (let i = 0; i < list.length; i++) if (list[i]!.name === name) return list[i];
  return undefined;
}

export function validateRequest(req: InferRequest, model: ValidationModel): ValidatedRequest {
  const given = req.inputs;
  for (let i = 0; i < given.length; i++) {
    const name = given[i]!.name;
    for (let j = 0; j < i; j++) if (given[j]!.name === name) throw err('IG_BAD_REQUEST', `input "${name}" is given more than once`);
  }
  for (const { name } of given) {
    if (byName(model.inputs, name) === undefined) {
      throw err('IG_UNKNOWN_INPUT', `model "${model.name}" has no input "${name}" (inputs: ${model.inputs.map((m) => m.name).join(', ')})`);
    }
  }
  const batching = model.maxBatchSize > 0;
  let rows = -1;
  const inputs: Record<string, RowTensor> = {};
  for (const meta of model.inputs) {
    const t: WireTensor | undefined = byName(given, meta.name);
    if (!t) throw err('IG_MISSING_INPUT', `model "${model.name}" needs input "${meta.name}" (${meta.datatype} ${fmt(meta.shape)}), which the request lacks`);
    if (t.datatype !== meta.datatype) {
      throw err('IG_DTYPE_MISMATCH', `input "${meta.name}" must be ${meta.datatype} (got ${t.datatype})`);
    }
    if (t.shape.length !== meta.shape.length) {
      throw err('IG_SHAPE_MISMATCH', `input "${meta.name}" must have rank ${meta.shape.length} ${fmt(meta.shape)} (got ${fmt(t.shape)})`);
    }
    for (let d = 0; d < meta.shape.length; d++) {
      const want = meta.shape[d]!;
      const got = t.shape[d]!;
      if (!Number.isSafeInteger(got) || got < 0) throw err('IG_SHAPE_MISMATCH', `input "${meta.name}" has an invalid dim ${d}: ${got}`);
      if (want !== -1 && want !== got && !(batching && d === 0)) {
        throw err('IG_SHAPE_MISMATCH', `input "${meta.name}" dim ${d} must be ${want} for shape ${fmt(meta.shape)} (got ${fmt(t.shape)})`);
      }
    }
    if (batching) {
      const k = t.shape[0]!;
      if (k < 1) throw err('IG_SHAPE_MISMATCH', `input "${meta.name}" has batch dimension 0; send at least one row`);
      if (rows === -1) rows = k;
      else if (k !== rows) throw err('IG_SHAPE_MISMATCH', `inputs disagree on the batch dimension: "${meta.name}" has ${k} rows, others ${rows}`);
    }
    checkTensorBytes(t.datatype, t.shape, t.data, `input "${meta.name}"`);
    inputs[meta.name] = { datatype: t.datatype, shape: t.shape, bytes: t.data };
  }
  let outputs: string[];
  if (req.outputs.length === 0) outputs = model.outputNames.slice();
  else {
    outputs = [];
    for (const o of req.outputs) {
      if (byName(model.outputs, o.name) === undefined) {
        throw err('IG_UNKNOWN_OUTPUT', `model "${model.name}" has no output "${o.name}" (outputs: ${model.outputNames.join(', ')})`);
      }
      outputs.push(o.name);
    }
  }
  return { inputs, rows: batching ? rows : 1, outputs, settled: false };
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

// KServe model metadata from the ONNX file's own description, checked against config.json.
// ONNX is the source of truth for names, dtypes and shapes; config.json may restate them (as
// Triton configs do) and a disagreement fails the load with a message naming both sides.
import { ortToKserve } from '../core/datatypes.js';
import type { ModelDescription, TensorInfo } from '../runtime/types.js';
import type { TensorMetadata } from '../core/service.js';
import type { ModelConfig, TensorConfig } from './config.js';

export function buildMetadata(name: string, config: ModelConfig, d: ModelDescription): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
  const conv = (t: TensorInfo): TensorMetadata => ({
    name: t.name,
    datatype: t.dtype === 'string' ? 'BYTES' : ortToKserve(t.dtype),
    shape: t.shape.map((x) => (x < 0 ? -1 : x)),
  });
  const inputs = d.inputs.map(conv);
  const outputs = d.outputs.map(conv);
  if (config.maxBatchSize > 0) {
    for (const t of [...inputs, ...outputs]) {
      if (t.shape.length === 0 || t.shape[0] !== -1) {
        throw new Error(
          `model "${name}": max_batch_size is ${config.maxBatchSize} but tensor "${t.name}" has shape [${t.shape.join(',')}] ` +
          'whose first dim is not dynamic; export the model with a dynamic batch dim or set max_batch_size to 0',
        );
      }
    }
  }
  if (config.inputs) checkAgainst(name, 'input', config.inputs, inputs, config.maxBatchSize > 0);
  if (config.outputs) checkAgainst(name, 'output', config.outputs, outputs, config.maxBatchSize > 0);
  return { inputs, outputs };
}

function checkAgainst(model: string, kind: string, declared: TensorConfig[], actual: TensorMetadata[], batched: boolean): void {
  for (const c of declared) {
    const a = actual.find((t) => t.name === c.name);
    if (!a) throw new Error(`model "${model}": config.json declares ${kind} "${c.name}" but the ONNX file has ${actual.map((t) => `"${t.name}"`).join(', ')}`);
    if (a.datatype !== c.datatype) throw new Error(`model "${model}": ${kind} "${c.name}" is ${a.datatype} in the ONNX file but ${c.datatype} in config.json`);
    const dims = batched ? a.shape.slice(1) : a.shape;
    const ok = dims.length === c.dims.length && dims.every((x, i) => x === -1 || c.dims[i] === -1 || x === c.dims[i]);
    if (!ok) throw new Error(`model "${model}": ${kind} "${c.name}" has dims [${dims.join(',')}] in the ONNX file but [${c.dims.join(',')}] in config.json`);
  }
}

// The effective configuration of a model version, as GET /v2/models/{m}[/versions/{v}]/config
// answers it (Triton's model_configuration extension): config.json's shape and snake_case keys,
// with every default filled, including what toConfigJson leaves out because it is derived
// (the warm-up set, the default priority level) and the tensors read from the ONNX file when
// config.json does not declare them (absent while the version has not loaded). Once loaded, it
// also says what auto-complete decided (`auto_complete`: applied, max_batch_size, reason), a key
// of infergate's own: it is not a config.json key, and applies to this version only.
import type { TensorMetadata } from '../core/service.js';
import type { AutoCompleteResult } from './auto-complete.js';
import { toConfigJson, type ModelConfig, type ModelConfigJson, type TensorConfigJson } from './config.js';

export function effectiveConfigJson(cfg: ModelConfig, onnx?: { inputs: TensorMetadata[]; outputs: TensorMetadata[] },
  autoComplete?: AutoCompleteResult): Record<string, unknown> {
  const out: ModelConfigJson = toConfigJson(cfg);
  out.dynamic_batching!.default_priority_level = cfg.batching.defaultPriorityLevel;
  out.warmup = { batch_sizes: [...cfg.warmup.batchSizes] };
  // Without the batch dim when batching, as config.json writes dims.
  const dims = (t: TensorMetadata): TensorConfigJson => ({
    name: t.name, data_type: t.datatype, dims: cfg.maxBatchSize > 0 ? t.shape.slice(1) : [...t.shape],
  });
  if (out.input === undefined && onnx) out.input = onnx.inputs.map(dims);
  if (out.output === undefined && onnx) out.output = onnx.outputs.map(dims);
  // Key order as a config.json is usually written: identity, shape, then the sections.
  const { name, platform, max_batch_size, input, output, ...sections } = out;
  const ac = autoComplete === undefined ? {}
    : { auto_complete: { applied: autoComplete.applied, max_batch_size: autoComplete.maxBatchSize, reason: autoComplete.reason } };
  return { name, platform, max_batch_size, ...(input ? { input } : {}), ...(output ? { output } : {}), ...sections, ...ac } as Record<string, unknown>;
}

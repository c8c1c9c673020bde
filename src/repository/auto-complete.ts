// Auto-complete of a model's configuration from its ONNX file, with Triton's semantics for what
// matters here: batching. Triton, given a model whose configuration does not set max_batch_size,
// looks at the model: when every input and every output has a dynamic first dim, that dim can
// be a batch dim, so it sets max_batch_size to its default (--backend-config
// default-max-batch-size) and turns dynamic batching on. A model with any fixed (or missing)
// first dim keeps max_batch_size 0: its shapes go to the model as the callers send them.
//
// One difference from Triton, on purpose: an explicit `"max_batch_size": 0` (in config.json, a
// server-wide --max-batch-size 0 or a --model-override) is the owner's word and is kept; Triton
// cannot tell 0 from absent (protobuf) and completes both. A dynamic first dim is also not a
// proof that rows are independent (a model may sum over dim 0): such a model needs
// `"max_batch_size": 0` in its config.json or --disable-auto-complete-config.
//
// Pure: decideAutoComplete() is the decision (unit-tested), applyAutoComplete() the config it
// yields. ModelVersion.load() calls both once the ONNX file is open.
import type { TensorMetadata } from '../core/service.js';
import { SERVER_SETTINGS } from '../core/settings/index.js';
import { applyOverrides, isPlainObject, type ModelConfig, type ModelConfigJson, type TensorConfig } from './config.js';

export interface AutoCompleteOptions {
  /** False with --disable-auto-complete-config. */
  enabled: boolean;
  /** max_batch_size given to a model that can batch and sets none (0 = never complete it). */
  defaultMaxBatchSize: number;
}

export const AUTO_COMPLETE_DEFAULTS: Readonly<AutoCompleteOptions> = Object.freeze({
  enabled: !SERVER_SETTINGS.disableAutoCompleteConfig.default,
  defaultMaxBatchSize: SERVER_SETTINGS.defaultMaxBatchSize.default,
});

/** What auto-complete decided for one model version, as the log and GET .../config show it. */
export interface AutoCompleteResult {
  /** True when max_batch_size was completed (and with it dynamic batching turned on). */
  applied: boolean;
  /** The max_batch_size the model runs with after the decision. */
  maxBatchSize: number;
  /** True when a configuration layer set max_batch_size, so the ONNX file was not consulted. */
  explicit: boolean;
  /** One line: why. */
  reason: string;
}

/** Where a layer sets max_batch_size, by precedence (highest first); undefined when none does. */
export function maxBatchSizeSource(layers: { override?: unknown; config?: unknown; serverDefaults?: unknown },
  names: { override: string; config: string; serverDefaults: string }): string | undefined {
  const sets = (layer: unknown): boolean => isPlainObject(layer) && Object.prototype.hasOwnProperty.call(layer, 'max_batch_size');
  if (sets(layers.override)) return names.override;
  if (sets(layers.config)) return names.config;
  if (sets(layers.serverDefaults)) return names.serverDefaults;
  return undefined;
}

const shapeText = (t: TensorMetadata): string => `${t.name}[${t.shape.join(',')}]`;

/** Why `t` cannot carry a batch dim, or undefined when its first dim is dynamic. */
function fixedFirstDim(kind: string, t: TensorMetadata): string | undefined {
  if (t.shape.length === 0) return `${kind} "${t.name}" has no dims (a scalar or unknown rank), so no batch dim`;
  if (t.shape[0] !== -1) return `${kind} "${t.name}" has shape [${t.shape.join(',')}]: its first dim is fixed, so not a batch dim`;
  return undefined;
}

/** A tensor config.json declares (with max_batch_size 0 its dims include the batch dim). */
function fixedDeclared(kind: string, declared: readonly TensorConfig[] | undefined): string | undefined {
  const t = declared?.find((c) => c.dims.length === 0 || c.dims[0] !== -1);
  return t === undefined ? undefined : `config.json declares ${kind} "${t.name}" with dims [${t.dims.join(',')}]: a fixed first dim, so not a batch dim`;
}

/**
 * The decision. `given`: which layer set max_batch_size (maxBatchSizeSource), undefined when
 * none did. `onnx`: the model file's tensors (shapes with -1 for dynamic dims).
 */
export function decideAutoComplete(cfg: ModelConfig, given: string | undefined, onnx: { inputs: TensorMetadata[]; outputs: TensorMetadata[] },
  opts: AutoCompleteOptions): AutoCompleteResult {
  const keep = (reason: string): AutoCompleteResult => ({ applied: false, maxBatchSize: cfg.maxBatchSize, explicit: false, reason });
  if (given !== undefined) return { ...keep(`max_batch_size ${cfg.maxBatchSize} is set by ${given}`), explicit: true };
  if (!opts.enabled) return keep('auto-complete is off (--disable-auto-complete-config): max_batch_size stays 0, no batching');
  if (opts.defaultMaxBatchSize <= 0) return keep('--default-max-batch-size is 0: max_batch_size stays 0, no batching');
  // Configured warm-up samples are written for the shapes without batching.
  if (cfg.warmup.samples.length > 0) return keep('config.json has model_warmup samples written for max_batch_size 0: kept 0, no batching');
  const why = fixedDeclared('input', cfg.inputs) ?? fixedDeclared('output', cfg.outputs)
    ?? onnx.inputs.map((t) => fixedFirstDim('input', t)).find((w) => w !== undefined)
    ?? onnx.outputs.map((t) => fixedFirstDim('output', t)).find((w) => w !== undefined);
  if (why !== undefined) return keep(`${why}; max_batch_size stays 0, no batching`);
  if (onnx.inputs.length === 0) return keep('the model has no inputs: max_batch_size stays 0, no batching');
  // The queue's row bound must hold a full batch (config.ts's cross-field rule).
  const maxBatchSize = Math.min(opts.defaultMaxBatchSize, cfg.batching.maxQueueRows);
  return {
    applied: true, maxBatchSize, explicit: false,
    reason: `no max_batch_size is set and every input and output has a dynamic first dim (${[...onnx.inputs, ...onnx.outputs].map(shapeText).join(' ')}): `
      + `max_batch_size ${maxBatchSize} (--default-max-batch-size), dynamic batching on`,
  };
}

/** The configuration the decision yields: `cfg` itself when nothing was completed. Declared
 *  tensors lose their first dim (config.json writes dims without the batch dim once batching). */
export function applyAutoComplete(cfg: ModelConfig, r: AutoCompleteResult): ModelConfig {
  if (!r.applied) return cfg;
  const patch: ModelConfigJson = { max_batch_size: r.maxBatchSize };
  const strip = (ts: TensorConfig[]) => ts.map((t) => ({ name: t.name, data_type: t.datatype, dims: t.dims.slice(1) }));
  if (cfg.inputs !== undefined) patch.input = strip(cfg.inputs);
  if (cfg.outputs !== undefined) patch.output = strip(cfg.outputs);
  return applyOverrides(cfg, patch, `auto-complete of "${cfg.name}"`);
}

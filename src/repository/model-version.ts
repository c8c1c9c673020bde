// One model version's lifecycle: LOADING -> READY | UNAVAILABLE, and READY -> UNLOADING ->
// UNAVAILABLE. Loading opens the process-wide ORT session (main-thread handle, for metadata),
// checks config.json against the ONNX file, builds the version's request path (a ModelPipeline:
// src/pipeline/model-pipeline.ts), warms every batch shape up in every worker, then reports
// READY. Unloading closes the pipeline (queued and running requests finish first), tells every
// thread to drop its session handle, and drops the main thread's.
import { Session } from '../runtime/index.js';
import type { ModelDescription } from '../runtime/types.js';
import { err, type InferError } from '../core/errors.js';
import type { TensorMetadata } from '../core/service.js';
import type { CancelSignal, InferRequest, InferResponse } from '../core/types.js';
import type { ItemResult, SabPool } from '../batching/index.js';
import type { ExecutionPolicy } from '../pool/execution-policy.js';
import type { ModelRef } from '../pool/task.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { ModelPipeline } from '../pipeline/model-pipeline.js';
import { toTaskTensor } from '../pipeline/task-tensors.js';
import type { ModelConfig } from './config.js';
import { buildMetadata } from './metadata.js';
import { defaultWarmupPlan, type WarmupPlan } from './warmup.js';
import { configuredWarmupPlan } from './warmup-samples.js';
import { dirname } from 'node:path';
import { ModelStats } from '../pipeline/model-stats.js';
import { applyAutoComplete, decideAutoComplete, type AutoCompleteOptions, type AutoCompleteResult } from './auto-complete.js';

export type VersionState = 'LOADING' | 'READY' | 'UNAVAILABLE' | 'UNLOADING';

export interface VersionDeps {
  pool: ExecutionPolicy;
  metrics: GatewayMetrics;
  sabPool: SabPool;
}

/** Auto-complete for this version (auto-complete.ts): the options, and which configuration
 *  layer set max_batch_size (undefined: none did, so the ONNX file may decide). */
export interface VersionAutoComplete {
  options: AutoCompleteOptions;
  maxBatchSizeSource: string | undefined;
}

export class ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly path: string;
  state: VersionState = 'LOADING';
  error: string | undefined;
  inputs: TensorMetadata[] = [];
  outputs: TensorMetadata[] = [];
  description: ModelDescription | undefined;
  /** What auto-complete decided once the ONNX file was read; undefined before, or when the
   *  version was built without auto-complete. */
  autoComplete: AutoCompleteResult | undefined;
  /** Why the default warm-up failed (the model is READY regardless); undefined when it ran. */
  warmupWarning: string | undefined;
  /** Triton-style statistics (GET .../stats): batches are added by the pipeline, requests'
   *  totals by the manager. */
  readonly stats = new ModelStats();
  /** Frozen: the metrics layer caches its formatted key by identity. */
  readonly labels: Readonly<{ model: string; version: string }>;
  readonly #deps: VersionDeps;
  readonly #ref: ModelRef;
  readonly #autoComplete: VersionAutoComplete | undefined;
  /** Replaced once, in load(), when auto-complete completes it. */
  #config: ModelConfig;
  #session: Session | undefined;
  #pipeline: ModelPipeline | undefined;

  constructor(name: string, version: string, path: string, config: ModelConfig, generation: number, deps: VersionDeps,
    autoComplete?: VersionAutoComplete) {
    this.name = name;
    this.version = version;
    this.path = path;
    this.#config = config;
    this.#deps = deps;
    this.#autoComplete = autoComplete;
    // The registry key carries the generation: a reload of the same path (new file contents)
    // must open a new session, never reuse the one workers may still hold from before.
    const id = `${name}@${version}#${generation}`;
    this.#ref = { id, source: path, options: { ...config.runtime, key: `${path}#${generation}` } };
    this.labels = Object.freeze({ model: name, version });
  }

  /** The effective configuration: config.json's layers, completed from the ONNX file. */
  get config(): ModelConfig {
    return this.#config;
  }

  /** Loads, warms up and reports READY; on failure the version is UNAVAILABLE with the reason.
   *  Never throws. `warmup` replaces the default plan (zeros, best effort): a required plan's
   *  failure fails the load, a best-effort one's only sets warmupWarning. */
  async load(warmup?: WarmupPlan): Promise<void> {
    try {
      this.#session = await Session.loadAsync(this.path, this.#ref.options);
      this.description = this.#session.describe();
      let meta = buildMetadata(this.name, this.#config, this.description);
      if (this.#autoComplete !== undefined) {
        const ac = this.#autoComplete;
        this.autoComplete = decideAutoComplete(this.#config, ac.maxBatchSizeSource, meta, ac.options);
        if (this.autoComplete.applied) {
          this.#config = applyAutoComplete(this.#config, this.autoComplete);
          meta = buildMetadata(this.name, this.#config, this.description);
        }
      }
      this.inputs = meta.inputs;
      this.outputs = meta.outputs;
      const { pool, metrics, sabPool } = this.#deps;
      this.#pipeline = new ModelPipeline({
        name: this.name, version: this.version, ref: this.#ref, inputs: this.inputs, outputs: this.outputs,
        maxBatchSize: this.config.maxBatchSize, batching: this.config.batching, concurrency: this.config.concurrencyLimit,
      }, { executor: pool, metrics, sabPool, stats: this.stats });
      const w = this.config.warmup;
      const plan = warmup ?? (w.samples.length > 0
        ? configuredWarmupPlan(w.samples, this.inputs, this.config.maxBatchSize, dirname(dirname(this.path)))
        : defaultWarmupPlan(this.inputs, this.config.maxBatchSize, w.batchSizes));
      try {
        await this.#warmup(plan);
      } catch (e) {
        // Zeros are not valid input for every model (a Reshape's target shape, a Range's
        // limits...): a model that runs on real data must not stay unready for that.
        if (plan.required) throw e;
        this.warmupWarning = `warm-up on zeros failed, serving without it: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
      }
      this.state = 'READY';
      metrics.modelReady.set(this.labels, 1);
      const c = this.#pipeline.counters;
      metrics.queueDepth.collect(this.labels, () => c.queueDepth);
      const p = this.#pipeline;
      metrics.batchCostFixedUs.collect(this.labels, () => Math.round(p.cost?.fixedUs ?? 0));
      metrics.batchCostPerRowUs.collect(this.labels, () => Math.round((p.cost?.perRowUs ?? 0) * 1000) / 1000);
      metrics.expired.collect(this.labels, () => c.expired);
      metrics.cancelled.collect(this.labels, () => c.cancelled);
      metrics.shed.collect(this.labels, () => c.rejected.IG_QUEUE_FULL + c.rejected.IG_TOO_MANY_REQUESTS);
      const gate = this.#pipeline.gate;
      if (gate) {
        metrics.concurrencyLimit.collect(this.labels, () => gate.limit);
        metrics.concurrencyInFlight.collect(this.labels, () => gate.inFlight);
        metrics.concurrencyRefused.collect(this.labels, () => gate.refused);
      }
    } catch (e) {
      this.state = 'UNAVAILABLE';
      this.error = e instanceof Error ? e.message : String(e);
      this.#deps.metrics.modelReady.set(this.labels, 0);
      this.#session?.unload();
      this.#session = undefined;
    }
  }

  async #warmup(plan: WarmupPlan): Promise<void> {
    const sets = plan.sets;
    if (sets.length === 0) return;
    const task = (inputs: (typeof sets)[number]) => ({ kind: 'run' as const, model: this.#ref, inputs: inputs.map(toTaskTensor), outputs: [] });
    // The smallest shape once per worker, concurrently, so that every worker opens its handle
    // on the shared session; then every shape once, one at a time (see docs/decisions/008).
    // Warm-up always takes the worker path (control tasks: never inline, never refused for
    // queue space): it exists to open and warm the workers' handles.
    const pool = this.#deps.pool;
    // A configured sample that fails is named in the load error.
    const named = async (i: number, run: () => unknown): Promise<void> => {
      try {
        await run();
      } catch (e) {
        const label = plan.labels?.[i];
        if (label === undefined) throw e;
        throw new Error(`warm-up sample "${label}" failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, { cause: e });
      }
    };
    await Promise.all(Array.from({ length: pool.workers }, () => named(0, () => pool.runControl(task(sets[0]!)))));
    for (let i = 1; i < sets.length; i++) await named(i, () => pool.runControl(task(sets[i]!)));
    // And the HTTP thread, which runs small batches inline.
    await named(0, () => pool.warmInline(task(sets[0]!), sets[0]![0]?.shape[0] ?? 0));
    // And its lone session, where it gets one (src/pool/lone-sessions.ts).
    await named(0, () => pool.warmLone(task(sets[0]!)));
  }

  /** IG_CONCURRENCY_LIMIT (returned) when the concurrency limit has no room for one more row. */
  refusal(): InferError | undefined {
    return this.#pipeline?.gate?.refusal();
  }

  infer(req: InferRequest, signal: CancelSignal | undefined, deadlineUs: number, onRan?: (r: ItemResult) => void, arrivalUs?: number): Promise<InferResponse> {
    const pipeline = this.#pipeline;
    if (this.state !== 'READY' || !pipeline) {
      return Promise.reject(err('IG_MODEL_NOT_READY', `model "${this.name}" version ${this.version} is not ready${this.error ? `: ${this.error}` : ''}`, { retryAfterS: 1 }));
    }
    return pipeline.infer(req, signal, deadlineUs, onRan, arrivalUs);
  }

  /** Stops admitting, finishes queued and running work, then drops every session handle. */
  async unload(): Promise<void> {
    this.state = 'UNLOADING';
    this.#deps.metrics.modelReady.set(this.labels, 0);
    // close(): new requests get IG_SHUTTING_DOWN; queued and running ones finish first.
    if (this.#pipeline) await this.#pipeline.close();
    this.#deps.metrics.queueDepth.remove(this.labels);
    this.#deps.metrics.concurrencyLimit.remove(this.labels);
    this.#deps.metrics.concurrencyInFlight.remove(this.labels);
    this.#deps.metrics.batchCostFixedUs.remove(this.labels);
    this.#deps.metrics.batchCostPerRowUs.remove(this.labels);
    await this.#deps.pool.announceUnload(this.#ref.id);
    this.#session?.unload();
    this.#session = undefined;
    this.state = 'UNAVAILABLE';
    this.error = 'unloaded';
  }

  get counters() {
    return this.#pipeline?.counters;
  }

  /** The concurrency gate, when the model has a limit (tests and diagnostics). */
  get gate() {
    return this.#pipeline?.gate;
  }
}

// The core service behind every transport: the model repository (lifecycle.ts) plus what a
// request needs of it: readiness, metadata, configuration and statistics, inference with its
// deadline and accounting, and the metrics text. Implements InferenceService for the server.
import { performance } from 'node:perf_hooks';
import { err, InferError, toInferError } from '../core/errors.js';
import type { InferRequest, InferResponse } from '../core/types.js';
import type { ErrorAnswer, InferenceService, InferOptions, ModelMetadata, ModelStatistics, WireStage } from '../core/service.js';
import { effectiveConfigJson } from './effective-config.js';
import { ModelRepository, unknownModel, type ManagerOptions } from './lifecycle.js';
import type { ModelVersion } from './model-version.js';
import {
  checkRouting, isPlainObject, missingVersions, pickVersion, routeKeyOf, routingJson, toRouting, type RoutingConfig, type RoutingConfigJson,
} from './routing.js';
import { ShadowRunner } from './shadow.js';
import type { ItemResult } from '../batching/index.js';

export type { ManagerLog, ManagerOptions, StartSummary } from './lifecycle.js';

export const SERVER_NAME = 'infergate';
export const SERVER_VERSION = '0.1.0';

export class ModelManager extends ModelRepository implements InferenceService {
  readonly repository: InferenceService['repository'];
  readonly #shadow: ShadowRunner;

  constructor(opts: ManagerOptions) {
    super(opts);
    this.metrics.inFlightBatches.collect({}, () => opts.pool.inFlight);
    this.metrics.batchBuffers.collect({}, () => this.batchBufferStats().checkedOut);
    this.metrics.workerExits.collect({}, () => opts.pool.pool.workerExits);
    this.metrics.idleSpinSeconds.collect({}, () => opts.pool.idleSpinStats().spinSeconds);
    this.metrics.idleSpinThreads.collect({}, () => opts.pool.idleSpinStats().threads);
    this.repository = opts.modelControlMode === 'explicit'
      ? { load: (n) => this.loadModel(n), unload: (n) => this.unloadModel(n), routing: async (n, body) => this.setRouting(n, parseRoutingBody(body)) }
      : undefined;
    this.#shadow = new ShadowRunner(this.metrics);
  }

  isLive(): boolean {
    return true;
  }

  #notReady = false;

  /** The drain's first step: report not ready at once while requests keep being served (the
   *  transport answers what its open connections still send, then drain() follows). */
  stopReadiness(): void {
    this.#notReady = true;
  }

  /** Ready once start-up loading has finished, while not draining, and while at least one model
   *  version is ready (with strictReadiness: while every model is). By default a broken model
   *  does not make the server unready (its own ready endpoint says so), so that one bad model
   *  file never takes healthy ones out of a load balancer. */
  isReady(): boolean {
    if (!this.started || this.draining || this.#notReady) return false;
    let any = false;
    for (const e of this.models.values()) {
      let ready = false;
      for (const h of e.versions.values()) if (h.state === 'READY') ready = true;
      if (ready) any = true;
      else if (this.opts.strictReadiness === true) return false;
    }
    return any;
  }

  serverMetadata(): { name: string; version: string; extensions: string[] } {
    // Triton's names, in Triton's order, for the extensions implemented here
    // ("model_repository": the index in every mode, load/unload with --model-control-mode
    // explicit; "schedule_policy": the priority and timeout request parameters), then
    // infergate's own.
    const extensions = ['model_repository', 'schedule_policy', 'model_configuration', 'binary_tensor_data', 'parameters', 'statistics', 'flatbuffers', 'stream'];
    return { name: SERVER_NAME, version: SERVER_VERSION, extensions };
  }

  refusal(name: string, version: string): InferError | undefined {
    const entry = this.models.get(name);
    if (!entry) return unknownModel(name);
    if (version !== '' && entry.versions.size > 0 && !entry.versions.has(version)) {
      return err('IG_VERSION_NOT_FOUND', `model "${name}" has no version "${version}" (versions: ${[...entry.versions.keys()].join(', ')})`);
    }
    // The version that will serve, when the body cannot change it (an A/B split may route by
    // a parameter in the body); one that is not ready is infer()'s to refuse, as before.
    if (version === '' && entry.routing) return undefined;
    const host = this.pick(name, version);
    if (host instanceof InferError) return undefined;
    const ie = host.refusal();
    if (ie === undefined) return undefined;
    // Counted here, under the version that refused, as infer() counts its own failures.
    this.metrics.requestFailure.inc(failureLabels(host.labels.model, host.labels.version, ie.code));
    markCounted(ie);
    host.stats.fail(0);
    return ie;
  }

  modelConfig(name: string, version: string): Record<string, unknown> {
    const h = this.resolve(name, version);
    return h.state === 'READY' ? effectiveConfigJson(h.config, { inputs: h.inputs, outputs: h.outputs }, h.autoComplete) : effectiveConfigJson(h.config);
  }

  modelStatistics(name: string, version: string): { model_stats: ModelStatistics[] } {
    let hosts: ModelVersion[];
    // Every model: the versions that serve (as Triton lists its loaded models).
    if (name === '') hosts = [...this.models.values()].flatMap((e) => [...e.versions.values()]).filter((h) => h.state === 'READY');
    else if (version === '') {
      if (!this.models.has(name)) throw unknownModel(name);
      hosts = [...this.models.get(name)!.versions.values()];
    } else hosts = [this.resolve(name, version)];
    return { model_stats: hosts.map((h) => h.stats.render(h.name, h.version)) };
  }

  modelMetadata(name: string, version: string): ModelMetadata {
    const h = this.resolve(name, version);
    if (h.state !== 'READY') throw err('IG_MODEL_NOT_READY', `model "${name}" version ${h.version} is not ready: ${h.error ?? h.state}`, { retryAfterS: 1 });
    const entry = this.models.get(name)!;
    return { name, versions: [...entry.versions.keys()], platform: 'onnxruntime_onnx', inputs: h.inputs, outputs: h.outputs };
  }

  modelReady(name: string, version: string): boolean {
    try {
      return this.resolve(name, version).state === 'READY';
    } catch (e) {
      const ie = toInferError(e);
      if (ie.code === 'IG_MODEL_NOT_READY') return false;
      throw ie;
    }
  }

  async infer(req: InferRequest, opts: InferOptions): Promise<InferResponse> {
    let labels: Readonly<{ model: string; version: string }> = { model: req.modelName, version: req.modelVersion };
    let host: ModelVersion | undefined;
    // Tracing off (the default) or the request not sampled: no span, no callback, nothing more.
    const span = this.opts.tracing?.startRequest(req.modelName, req.modelVersion, req.id, opts.trace ?? {}, performance.timeOrigin + opts.arrivalMs);
    let ran: ItemResult | undefined;
    try {
      if (this.draining) throw err('IG_SHUTTING_DOWN', 'the server is shutting down', { retryAfterS: 1 });
      // A request that names no version follows the model's routing (A/B split), if it has one.
      const routing = req.modelVersion === '' ? this.models.get(req.modelName)?.routing : undefined;
      host = this.resolve(req.modelName, routing ? pickVersion(routing.split, routeKeyOf(opts.routeKey, req.parameters)) : req.modelVersion);
      labels = host.labels;
      const timeoutUs = req.timeoutUs > 0 ? req.timeoutUs : opts.headerTimeoutUs ?? 0;
      const deadlineUs = timeoutUs > 0 ? opts.arrivalMs * 1000 + timeoutUs : 0;
      const live = host.infer(req, opts.signal, deadlineUs, span && ((r) => { ran = r; }), opts.arrivalMs * 1000);
      // The copy leaves after the live request is dispatched, and on a later turn (shadow.ts).
      if (routing?.shadow && routing.shadow.version !== host.version) this.#mirror(req, routing.shadow.version, live, host.version);
      const resp = await live;
      const totalUs = (performance.now() - opts.arrivalMs) * 1000;
      this.metrics.requestSuccess.inc(labels);
      this.metrics.requestDuration.observe(labels, totalUs);
      host.stats.success(totalUs);
      span?.end({ status: 200, ...(ran ? { queueUs: ran.queueUs, computeUs: ran.computeUs, batchRows: ran.batchRows, batchId: ran.batchId, runs: ran.runs } : {}) });
      return resp;
    } catch (e) {
      const ie = toInferError(e);
      // Before a version was resolved the names are the caller's: unknown ones count under ""
      // (as countRejected does), so that typos cannot grow the series or the label cache.
      this.metrics.requestFailure.inc(host ? failureLabels(labels.model, labels.version, ie.code)
        : failureLabels(this.models.has(req.modelName) ? req.modelName : '', this.models.get(req.modelName)?.versions.has(req.modelVersion) ? req.modelVersion : '', ie.code));
      markCounted(ie);
      host?.stats.fail((performance.now() - opts.arrivalMs) * 1000);
      span?.end({ status: ie.status, code: ie.code });
      throw ie;
    }
  }

  #mirror(req: InferRequest, version: string, live: Promise<InferResponse>, liveVersion: string): void {
    const target = this.models.get(req.modelName)?.versions.get(version);
    if (target === undefined) return;
    this.#shadow.mirror(req, target, live, liveVersion);
  }

  /** Replaces a model's routing (undefined: leave it; null: clear it); returns the one in effect. */
  setRouting(name: string, raw: unknown): RoutingConfigJson | Record<string, never> {
    const entry = this.models.get(name);
    if (!entry) throw err('IG_MODEL_NOT_FOUND', `unknown model "${name}"`);
    if (raw !== undefined) {
      let next: RoutingConfig | undefined;
      if (raw !== null && !(isPlainObject(raw) && Object.keys(raw).length === 0)) {
        try {
          next = toRouting(checkRouting(raw, `routing of model "${name}"`, 'routing'));
        } catch (e) {
          throw err('IG_BAD_REQUEST', e instanceof Error ? e.message : String(e));
        }
        const missing = missingVersions(next, [...entry.versions.keys()]);
        if (missing !== undefined) throw err('IG_BAD_REQUEST', `model "${name}": ${missing}`);
      }
      entry.routing = next;
      this.log.info(`model ${name}: routing ${next ? JSON.stringify(routingJson(next)) : 'cleared (the newest version answers)'}`);
    }
    return entry.routing ? routingJson(entry.routing) : {};
  }

  /** Counts an infer the transport answered with an error before it reached infer() (unknown
   *  model, a body that does not decode, too large), so that successes + failures = infer
   *  requests received. An unknown model name counts under model="" (a caller's typos must not
   *  grow the series without bound). */
  countRejected(a: ErrorAnswer): void {
    const isInfer = a.transport === 'ws' || (a.method === 'POST' && a.url.endsWith('/infer'));
    if (!isInfer || isCounted(a.error)) return;
    this.metrics.requestFailure.inc(failureLabels(this.models.has(a.model) ? a.model : '', '', a.error.code));
  }

  observeWire(stage: WireStage, format: string, us: number): void {
    const m = stage === 'read' ? this.metrics.bodyReadDuration : stage === 'decode' ? this.metrics.decodeDuration : this.metrics.encodeDuration;
    m.observe(wireLabels(format), us);
  }

  metricsText(): string {
    return this.metrics.registry.render();
  }
}

/** Errors already counted as failures carry this mark (a WeakSet's inserts and ephemeron work
 *  showed in the refusal profile), so that the transport's report does not count them again. */
const COUNTED = Symbol('infergate.counted');
type Marked = InferError & { [COUNTED]?: true };
function markCounted(e: InferError): void {
  (e as Marked)[COUNTED] = true;
}
function isCounted(e: InferError): boolean {
  return (e as Marked)[COUNTED] === true;
}

/** Frozen label objects, one per format: the metrics layer caches its formatted key by identity. */
const WIRE_LABELS = new Map<string, Readonly<{ format: string }>>();
const FAILURE_LABELS = new Map<string, Readonly<{ model: string; version: string; code: string }>>();
/** Frozen failure labels, one per model, version and code (a bounded set: models are the
 *  repository's, codes the catalogue's), so that a storm of refusals formats no label keys. */
function failureLabels(model: string, version: string, code: string): Readonly<{ model: string; version: string; code: string }> {
  const key = `${model}\u0000${version}\u0000${code}`;
  let l = FAILURE_LABELS.get(key);
  if (!l) FAILURE_LABELS.set(key, (l = Object.freeze({ model, version, code })));
  return l;
}

function wireLabels(format: string): Readonly<{ format: string }> {
  let l = WIRE_LABELS.get(format);
  if (!l) WIRE_LABELS.set(format, (l = Object.freeze({ format })));
  return l;
}

/** A routing control request's body: empty = no change (read), else JSON. */
function parseRoutingBody(body: Uint8Array): unknown {
  if (body.byteLength === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch (e) {
    throw err('IG_BAD_JSON', `routing body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// The core service behind every transport: the model repository as loaded in this process.
// Owns model lifecycle (load at start-up, explicit load/unload, drain), version resolution,
// deadlines, and request accounting. Implements InferenceService for the server.
import { performance } from 'node:perf_hooks';
import { err, toInferError } from '../protocol/errors.js';
import type { InferRequest, InferResponse } from '../protocol/types.js';
import { SabPool } from '../batching/index.js';
import type { ExecutionPolicy } from '../pool/execution-policy.js';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/gateway-metrics.js';
import type { InferenceService, InferOptions, ModelMetadata, RepositoryEntry, WireStage } from '../server/service.js';
import { ConfigError } from './config.js';
import { scanModel, scanRepository, type ScanOptions, type ScannedModel } from './repository-scan.js';
import { ModelVersionHost } from './model-host.js';

export const SERVER_NAME = 'infergate';
export const SERVER_VERSION = '0.1.0';

export interface ManagerOptions {
  repository: string;
  pool: ExecutionPolicy;
  scan?: ScanOptions;
  modelControlMode: 'none' | 'explicit';
  metrics?: GatewayMetrics;
  log?: (line: string) => void;
}

interface ModelEntry {
  name: string;
  /** Set when the model directory or its config could not be used. */
  error: string | undefined;
  versions: Map<string, ModelVersionHost>;
}

export class ModelManager implements InferenceService {
  readonly metrics: GatewayMetrics;
  readonly #opts: ManagerOptions;
  readonly #models = new Map<string, ModelEntry>();
  readonly #sabPool = new SabPool();
  #generation = 0;
  #started = false;
  #draining = false;
  readonly repository: InferenceService['repository'];

  constructor(opts: ManagerOptions) {
    this.#opts = opts;
    this.metrics = opts.metrics ?? createGatewayMetrics();
    this.metrics.inFlightBatches.collect({}, () => opts.pool.inFlight);
    this.metrics.idleSpinSeconds.collect({}, () => opts.pool.idleSpinStats().spinSeconds);
    this.metrics.idleSpinThreads.collect({}, () => opts.pool.idleSpinStats().threads);
    this.repository = opts.modelControlMode === 'explicit'
      ? { index: () => this.index(), load: (n) => this.loadModel(n), unload: (n) => this.unloadModel(n) }
      : undefined;
  }

  /** Scans the repository and loads every model; failures are recorded, never thrown. */
  async start(): Promise<void> {
    const scan = await scanRepository(this.#opts.repository, this.#opts.scan);
    // A typo in an override must not be silently ignored: refuse to start.
    if (scan.unusedOverrides.length > 0) {
      throw new ConfigError(`--model-override names no model directory in ${scan.repository}: ${scan.unusedOverrides.join(', ')}`);
    }
    await Promise.all(scan.models.map((m) => this.#install(m)));
    this.#started = true;
  }

  async #install(m: ScannedModel): Promise<void> {
    const entry: ModelEntry = { name: m.name, error: undefined, versions: new Map() };
    const previous = this.#models.get(m.name);
    this.#models.set(m.name, entry);
    if ('error' in m) {
      entry.error = m.error;
      this.#log(`model ${m.name}: not loaded: ${m.error}`);
    } else {
      for (const w of m.warnings) this.#log(`model ${m.name}: warning: ${w}`);
      const hosts = m.versions.map((v) => {
        const host = new ModelVersionHost(m.name, String(v.version), v.path, m.config, ++this.#generation,
          { pool: this.#opts.pool, metrics: this.metrics, sabPool: this.#sabPool });
        entry.versions.set(String(v.version), host);
        return host;
      });
      await Promise.all(hosts.map((h) => h.load()));
      for (const h of hosts) {
        this.#log(h.state === 'READY'
          ? `model ${h.name} version ${h.version}: ready (providers: ${h.description?.providers.join(',')}${h.description?.fallbackReason ? `; fallback: ${h.description.fallbackReason}` : ''})`
          : `model ${h.name} version ${h.version}: UNAVAILABLE: ${h.error}`);
      }
    }
    // A reload replaces the old versions only once the new ones are in place (no gap).
    if (previous) await Promise.all([...previous.versions.values()].map((h) => h.unload()));
  }

  #log(line: string): void {
    this.#opts.log?.(line);
  }

  isLive(): boolean {
    return true;
  }

  /** Ready once start-up loading has finished, while not draining, and while at least one model
   *  version is ready. A broken model does not make the server unready (its own ready endpoint
   *  says so), so that one bad model file never takes healthy ones out of a load balancer. */
  isReady(): boolean {
    if (!this.#started || this.#draining) return false;
    for (const e of this.#models.values()) for (const h of e.versions.values()) if (h.state === 'READY') return true;
    return false;
  }

  serverMetadata(): { name: string; version: string; extensions: string[] } {
    const extensions = ['binary_tensor_data', 'statistics_metrics', 'flatbuffers', 'stream'];
    if (this.repository) extensions.push('model_repository');
    return { name: SERVER_NAME, version: SERVER_VERSION, extensions };
  }

  #resolve(name: string, version: string): ModelVersionHost {
    const entry = this.#models.get(name);
    if (!entry) throw err('IG_MODEL_NOT_FOUND', `unknown model "${name}"`);
    if (entry.error !== undefined && entry.versions.size === 0) {
      throw err('IG_MODEL_NOT_READY', `model "${name}" is not available: ${entry.error}`);
    }
    if (version !== '') {
      const h = entry.versions.get(version);
      if (!h) throw err('IG_VERSION_NOT_FOUND', `model "${name}" has no version "${version}" (versions: ${[...entry.versions.keys()].join(', ') || 'none'})`);
      return h;
    }
    let best: ModelVersionHost | undefined;
    for (const h of entry.versions.values()) {
      if (!best || (h.state === 'READY' && best.state !== 'READY') ||
        ((h.state === 'READY') === (best.state === 'READY') && Number(h.version) > Number(best.version))) best = h;
    }
    if (!best) throw err('IG_MODEL_NOT_READY', `model "${name}" has no loaded version`);
    return best;
  }

  modelMetadata(name: string, version: string): ModelMetadata {
    const h = this.#resolve(name, version);
    if (h.state !== 'READY') throw err('IG_MODEL_NOT_READY', `model "${name}" version ${h.version} is not ready: ${h.error ?? h.state}`);
    const entry = this.#models.get(name)!;
    return {
      name,
      versions: [...entry.versions.keys()],
      platform: 'onnxruntime_onnx',
      inputs: h.inputs,
      outputs: h.outputs,
    };
  }

  modelReady(name: string, version: string): boolean {
    try {
      return this.#resolve(name, version).state === 'READY';
    } catch (e) {
      const ie = toInferError(e);
      if (ie.code === 'IG_MODEL_NOT_READY') return false;
      throw ie;
    }
  }

  async infer(req: InferRequest, opts: InferOptions): Promise<InferResponse> {
    let labels: Readonly<{ model: string; version: string }> = { model: req.modelName, version: req.modelVersion };
    try {
      if (this.#draining) throw err('IG_SHUTTING_DOWN', 'the server is shutting down', { retryAfterS: 1 });
      const host = this.#resolve(req.modelName, req.modelVersion);
      labels = host.labels;
      const timeoutUs = req.timeoutUs > 0 ? req.timeoutUs : opts.headerTimeoutUs ?? 0;
      const deadlineUs = timeoutUs > 0 ? opts.arrivalMs * 1000 + timeoutUs : 0;
      const resp = await host.infer(req, opts.signal, deadlineUs);
      this.metrics.requestSuccess.inc(labels);
      this.metrics.requestDuration.observe(labels, (performance.now() - opts.arrivalMs) * 1000);
      return resp;
    } catch (e) {
      const ie = toInferError(e);
      this.metrics.requestFailure.inc({ ...labels, code: ie.code });
      throw ie;
    }
  }

  async index(): Promise<RepositoryEntry[]> {
    const scan = await scanRepository(this.#opts.repository, this.#opts.scan);
    const out: RepositoryEntry[] = [];
    for (const m of scan.models) {
      const entry = this.#models.get(m.name);
      if (!entry || entry.versions.size === 0) {
        out.push({ name: m.name, state: 'UNAVAILABLE', reason: entry?.error ?? ('error' in m ? m.error : 'not loaded') });
        continue;
      }
      for (const h of entry.versions.values()) {
        out.push({ name: m.name, version: h.version, state: h.state, ...(h.error ? { reason: h.error } : {}) });
      }
    }
    return out;
  }

  async loadModel(name: string): Promise<void> {
    const m = await scanModel(this.#opts.repository, name, this.#opts.scan);
    await this.#install(m);
    const entry = this.#models.get(name)!;
    if (entry.error !== undefined) throw err('IG_MODEL_LOAD_FAILED', `model "${name}": ${entry.error}`);
    const failed = [...entry.versions.values()].filter((h) => h.state !== 'READY');
    if (failed.length > 0) throw err('IG_MODEL_LOAD_FAILED', `model "${name}": ${failed.map((h) => `version ${h.version}: ${h.error}`).join('; ')}`);
  }

  async unloadModel(name: string): Promise<void> {
    const entry = this.#models.get(name);
    if (!entry) throw err('IG_MODEL_NOT_FOUND', `unknown model "${name}"`);
    this.#models.delete(name);
    await Promise.all([...entry.versions.values()].map((h) => h.unload()));
  }

  observeWire(stage: WireStage, format: string, us: number): void {
    const m = stage === 'read' ? this.metrics.bodyReadDuration : stage === 'decode' ? this.metrics.decodeDuration : this.metrics.encodeDuration;
    m.observe(wireLabels(format), us);
  }

  metricsText(): string {
    return this.metrics.registry.render();
  }

  /** Graceful shutdown: report not ready, refuse new work, finish what is queued and running. */
  async drain(): Promise<void> {
    this.#draining = true;
    const all = [...this.#models.values()].flatMap((e) => [...e.versions.values()]);
    await Promise.all(all.map((h) => h.unload()));
  }

  /** For tests and diagnostics. */
  host(name: string, version = ''): ModelVersionHost {
    return this.#resolve(name, version);
  }
}

/** Frozen label objects, one per format: the metrics layer caches its formatted key by identity. */
const WIRE_LABELS = new Map<string, Readonly<{ format: string }>>();
function wireLabels(format: string): Readonly<{ format: string }> {
  let l = WIRE_LABELS.get(format);
  if (!l) WIRE_LABELS.set(format, (l = Object.freeze({ format })));
  return l;
}

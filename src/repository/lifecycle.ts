// The model repository as loaded in this process: its lifecycle. Loads every model at start-up,
// loads, reloads and unloads on request, drains on shutdown, and resolves a request's model and
// version to the ModelVersion that serves it. ModelManager (manager.ts) adds the request-facing
// service on top.
//
// Lifecycle under traffic. A model that is in the repository is never answered 404: while its
// first load runs, or after an unload, requests get 503 IG_MODEL_NOT_READY with Retry-After. A
// reload builds and warms the new versions while the old ones keep serving; traffic moves in
// one synchronous swap once the new ones are READY, and the old ones are unloaded after their
// queued and running requests finish (ModelVersion.unload). A reload that fails keeps the old
// versions serving. Loads run at most `loadThreads` versions at a time (load-limiter.ts).
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { err, InferError } from '../core/errors.js';
import type { RepositoryEntry } from '../core/service.js';
import { SabPool, type SabPoolStats } from '../batching/index.js';
import type { ExecutionPolicy } from '../pool/execution-policy.js';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/gateway-metrics.js';
import type { Logger } from '../observability/log.js';
import type { Tracing } from '../observability/tracing.js';
import { ConfigError } from './config.js';
import { LoadLimiter } from './load-limiter.js';
import { checkModelName, scanModel, scanRepository, type ScanOptions, type ScannedModel } from './scan.js';
import { stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { ModelVersion } from './model-version.js';
import type { RoutingConfig } from './routing.js';
import { AUTO_COMPLETE_DEFAULTS } from './auto-complete.js';

/** The part of the process logger (src/observability/log.ts) the repository writes to. */
export type ManagerLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface ManagerOptions {
  repository: string;
  pool: ExecutionPolicy;
  scan?: ScanOptions;
  modelControlMode: 'none' | 'explicit';
  /** Versions loading at once (default: the CPU cores, at least 2). */
  loadThreads?: number;
  /** Ready only while every model in the repository is READY (default: at least one is). */
  strictReadiness?: boolean;
  metrics?: GatewayMetrics;
  log?: ManagerLog;
  /** One span per infer request when tracing is on (src/observability/tracing.ts). */
  tracing?: Tracing;
}

/** What start-up loaded: every model by name, with the reason for each that failed. */
export interface StartSummary {
  ready: string[];
  failed: { name: string; reason: string }[];
}

export interface ModelEntry {
  name: string;
  /** Why the model cannot serve (bad config, failed load, unloaded); undefined while it can. */
  error: string | undefined;
  /** The versions serving traffic (replaced whole by a reload). */
  versions: Map<string, ModelVersion>;
  /** Set while a load or reload of this model runs. */
  loading: Promise<void> | undefined;
  /** A/B split and shadow (config.json routing; replaced at run time through model control,
   *  reset to config.json's by a reload). */
  routing: RoutingConfig | undefined;
}

const NO_LOG: ManagerLog = { info() {}, warn() {}, error() {} };

export class ModelRepository {
  readonly metrics: GatewayMetrics;
  protected readonly opts: ManagerOptions;
  protected readonly log: ManagerLog;
  protected readonly models = new Map<string, ModelEntry>();
  protected started = false;
  protected draining = false;
  readonly #sabPool = new SabPool();
  readonly #limiter: LoadLimiter;
  #generation = 0;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.log = opts.log ?? NO_LOG;
    this.#limiter = new LoadLimiter(opts.loadThreads ?? Math.max(2, availableParallelism()));
    this.metrics = opts.metrics ?? createGatewayMetrics();
  }

  /** The shared input buffers of batches: checkedOut is 0 whenever no batch is in flight. */
  batchBufferStats(): SabPoolStats {
    return this.#sabPool.stats();
  }

  /** Scans the repository and loads every model. Failures are logged and summarised, never
   *  thrown; only an unreadable repository or an override naming no model rejects. */
  async start(): Promise<StartSummary> {
    const scan = await scanRepository(this.opts.repository, this.opts.scan);
    // A typo in an override must not be silently ignored: refuse to start.
    if (scan.unusedOverrides.length > 0) {
      throw new ConfigError(`--model-override names no model directory in ${scan.repository}: ${scan.unusedOverrides.join(', ')}`);
    }
    if (scan.models.length === 0) {
      this.log.warn(`the model repository ${scan.repository} holds no model directory (expected ${scan.repository}/<model>/<version>/model.onnx): nothing to serve, and not ready`);
    }
    await Promise.all(scan.models.map((m) => this.#install(m)));
    this.started = true;
    const summary: StartSummary = { ready: [], failed: [] };
    for (const e of this.models.values()) {
      if (e.error === undefined && [...e.versions.values()].every((h) => h.state === 'READY')) summary.ready.push(e.name);
      else summary.failed.push({ name: e.name, reason: this.#reasonOf(e) });
    }
    return summary;
  }

  #reasonOf(e: ModelEntry): string {
    if (e.error !== undefined) return e.error;
    return [...e.versions.values()].filter((h) => h.state !== 'READY').map((h) => `version ${h.version}: ${h.error ?? h.state}`).join('; ');
  }

  /** Loads (or reloads) one scanned model; resolves when it is done, whatever the outcome. */
  #install(m: ScannedModel): Promise<void> {
    let entry = this.models.get(m.name);
    if (!entry) {
      entry = { name: m.name, error: undefined, versions: new Map(), loading: undefined, routing: undefined };
      this.models.set(m.name, entry);
    }
    const e = entry;
    // Loads of one model are serialised: a reload waits for the load before it.
    const run = (e.loading ?? Promise.resolve()).catch(() => {}).then(() => this.#installNow(e, m));
    const tracked = run.finally(() => {
      if (e.loading === tracked) e.loading = undefined;
    });
    e.loading = tracked;
    return tracked;
  }

  async #installNow(entry: ModelEntry, m: ScannedModel): Promise<void> {
    const hadVersions = entry.versions.size > 0;
    if ('error' in m) {
      this.log.error(`model ${m.name}: not loaded: ${m.error}`, { model: m.name, reason: m.error });
      if (!hadVersions) entry.error = m.error;
      return;
    }
    for (const w of m.warnings) this.log.warn(`model ${m.name}: ${w}`, { model: m.name });
    const startMs = performance.now();
    const fresh = new Map<string, ModelVersion>();
    for (const v of m.versions) {
      fresh.set(String(v.version), new ModelVersion(m.name, String(v.version), v.path, m.config, ++this.#generation,
        { pool: this.opts.pool, metrics: this.metrics, sabPool: this.#sabPool },
        { options: this.opts.scan?.autoComplete ?? AUTO_COMPLETE_DEFAULTS, maxBatchSizeSource: m.maxBatchSizeSource }));
    }
    await Promise.all([...fresh.values()].map((h) => this.#limiter.run(() => h.load())));
    const ms = Math.round(performance.now() - startMs);
    const failed = [...fresh.values()].filter((h) => h.state !== 'READY');
    for (const h of fresh.values()) {
      const at = { model: h.name, version: h.version };
      // Said whenever the ONNX file decided, so that a model that does not batch says why.
      const ac = h.autoComplete;
      if (ac !== undefined && !ac.explicit) this.log.info(`model ${h.name} version ${h.version}: auto-complete: ${ac.applied ? '' : 'nothing completed: '}${ac.reason}`, at);
      if (h.warmupWarning !== undefined) this.log.warn(`model ${h.name} version ${h.version}: ${h.warmupWarning}`, at);
      if (h.state === 'READY') {
        const d = h.description;
        this.log.info(`model ${h.name} version ${h.version}: ready in ${ms} ms (providers: ${d?.providers.join(',')}${d?.fallbackReason ? `; fallback: ${d.fallbackReason}` : ''})`,
          { ...at, loadMs: ms, providers: d?.providers, ...(d?.fallbackReason ? { fallbackReason: d.fallbackReason } : {}) });
      } else {
        this.log.error(`model ${h.name} version ${h.version}: load failed: ${h.error}`, { ...at, loadMs: ms, reason: h.error });
      }
    }
    if (failed.length === fresh.size && hadVersions) {
      // Nothing new could serve: the old versions keep serving.
      this.log.error(`model ${m.name}: reload failed; the versions loaded before keep serving`, { model: m.name });
      await Promise.all(failed.map((h) => h.unload()));
      throw err('IG_MODEL_LOAD_FAILED', `model "${m.name}": ${failed.map((h) => `version ${h.version}: ${h.error}`).join('; ')}`);
    }
    // The swap: one synchronous step, so every request resolves to either the old or the new set.
    const previous = entry.versions;
    entry.versions = fresh;
    entry.routing = m.config.routing;
    entry.error = undefined;
    await this.#unloadAll(m.name, previous, 'replaced');
  }

  /** Unloads versions after their queued and running work; logs how long that took. */
  async #unloadAll(name: string, versions: Map<string, ModelVersion>, why: string): Promise<void> {
    if (versions.size === 0) return;
    const startMs = performance.now();
    await Promise.all([...versions.values()].map((h) => h.unload()));
    const unloadMs = Math.round(performance.now() - startMs);
    this.log.info(`model ${name}: ${why}: version(s) ${[...versions.keys()].join(', ')} unloaded in ${unloadMs} ms`,
      { model: name, versions: [...versions.keys()], unloadMs, why });
  }

  protected resolve(name: string, version: string): ModelVersion {
    const h = this.pick(name, version);
    if (h instanceof InferError) throw h;
    return h;
  }

  /** The version that serves `version` ('' = the newest ready one), or why none does
   *  (returned, for callers that must not throw: see ConcurrencyGate.refusal). */
  protected pick(name: string, version: string): ModelVersion | InferError {
    const entry = this.models.get(name);
    if (!entry) return unknownModel(name);
    if (entry.versions.size === 0) {
      const why = entry.error ?? (entry.loading ? 'loading' : 'not loaded');
      return err('IG_MODEL_NOT_READY', `model "${name}" is not available: ${why}`, { retryAfterS: 1 });
    }
    if (version !== '') {
      const h = entry.versions.get(version);
      if (!h) return err('IG_VERSION_NOT_FOUND', `model "${name}" has no version "${version}" (versions: ${[...entry.versions.keys()].join(', ') || 'none'})`);
      return h;
    }
    let best: ModelVersion | undefined;
    for (const h of entry.versions.values()) {
      if (!best || (h.state === 'READY' && best.state !== 'READY') ||
        ((h.state === 'READY') === (best.state === 'READY') && Number(h.version) > Number(best.version))) best = h;
    }
    return best!;
  }

  async repositoryIndex(): Promise<RepositoryEntry[]> {
    const scan = await scanRepository(this.opts.repository, this.opts.scan);
    const out: RepositoryEntry[] = [];
    for (const m of scan.models) {
      const entry = this.models.get(m.name);
      if (!entry || entry.versions.size === 0) {
        const state = entry?.loading ? 'LOADING' : 'UNAVAILABLE';
        out.push({ name: m.name, state, reason: entry?.error ?? ('error' in m ? m.error : entry?.loading ? 'loading' : 'not loaded') });
        continue;
      }
      for (const h of entry.versions.values()) {
        out.push({ name: m.name, version: h.version, state: h.state, ...(h.error ? { reason: h.error } : {}) });
      }
    }
    return out;
  }

  /** Loads a model, or reloads it when loaded (its old versions serve until the new are READY). */
  async loadModel(name: string): Promise<void> {
    if (this.draining) throw err('IG_SHUTTING_DOWN', 'the server is shutting down', { retryAfterS: 1 });
    // A name that is not a model directory is a 404 and leaves no entry behind (callers must
    // not be able to grow this map with names of their choosing).
    if (!this.models.has(name) && (checkModelName(name) !== undefined || !(await isDirectory(join(resolvePath(this.opts.repository), name))))) {
      throw unknownModel(name);
    }
    const m = await scanModel(this.opts.repository, name, this.opts.scan);
    await this.#install(m);
    const entry = this.models.get(name)!;
    if (entry.error !== undefined) throw err('IG_MODEL_LOAD_FAILED', `model "${name}": ${entry.error}`);
    const failed = [...entry.versions.values()].filter((h) => h.state !== 'READY');
    if (failed.length > 0) throw err('IG_MODEL_LOAD_FAILED', `model "${name}": ${failed.map((h) => `version ${h.version}: ${h.error}`).join('; ')}`);
  }

  /** Unloads every version after its in-flight work. The model stays known: requests for it get
   *  503 with Retry-After (it is still in the repository), never 404. */
  async unloadModel(name: string): Promise<void> {
    const entry = this.models.get(name);
    if (!entry) throw unknownModel(name);
    await entry.loading?.catch(() => {});
    const previous = entry.versions;
    entry.versions = new Map();
    entry.error = 'unloaded';
    await this.#unloadAll(name, previous, 'unloaded on request');
  }

  /** Graceful shutdown: report not ready, refuse new work, finish what is queued and running. */
  async drain(): Promise<void> {
    this.draining = true;
    const all = [...this.models.values()].flatMap((e) => [...e.versions.values()]);
    await Promise.all(all.map((h) => h.unload()));
  }

  /** Names of the models with a READY version (for the start-up hint and tests). */
  readyModels(): string[] {
    return [...this.models.values()].filter((e) => [...e.versions.values()].some((h) => h.state === 'READY')).map((e) => e.name);
  }

  /** For tests and diagnostics. */
  host(name: string, version = ''): ModelVersion {
    return this.resolve(name, version);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try { return (await stat(path)).isDirectory(); } catch { return false; }
}

/** A name that is not a model: 400 when no model could ever have it (path separators, "..",
 *  control characters, over 128 characters), else 404. Only loaded names pass checkModelName,
 *  so this runs on a miss only, never on a request's hot path. */
export function unknownModel(name: string): InferError {
  const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);
  if (checkModelName(name) !== undefined) {
    return err('IG_BAD_REQUEST', `model name ${shown} is not valid (letters, digits, "_", "-", "."; at most 128 characters; no leading "." and no "..")`);
  }
  return err('IG_MODEL_NOT_FOUND', `unknown model ${shown}`);
}

// `infergate serve`: builds the gateway (src/gateway.ts) from the resolved configuration, logs
// how to reach it, and drains on a signal (README "Drain"). SIGTERM/SIGINT: report not ready,
// stop accepting connections, answer every request received (each with Connection: close),
// then exit 0; at --exit-timeout-s exit 1 whatever is left. A second signal exits at once with
// status 1.
import { createGateway, type Gateway, type GatewayOptions } from '../gateway.js';
import type { ServeConfig } from './config.js';
import { createLogger, type Logger } from '../observability/log.js';
import { tracingFromEnv } from '../observability/tracing.js';
import { missingNodeFlags } from './node-flags.js';
import { performance } from 'node:perf_hooks';

/** How to reach a model that actually loaded, each line short enough for a terminal: its
 *  metadata, and an infer with zeros when its inputs are small enough to spell out. */
export function startupHint(gw: Pick<Gateway, 'url' | 'manager'>): string[] {
  const name = gw.manager.readyModels()[0];
  if (name === undefined) return ['no model is ready: see the errors above'];
  const lines = [`try: curl -s ${gw.url}/v2/models/${encodeURIComponent(name)}`];
  const meta = gw.manager.modelMetadata(name, '');
  const inputs = meta.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map((d) => (d < 0 ? 1 : d)) }));
  const elements = inputs.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  if (elements <= 8 && inputs.every((t) => t.datatype !== 'BYTES')) {
    const body = JSON.stringify({ inputs: inputs.map((t) => ({ ...t, data: new Array(t.shape.reduce((a, b) => a * b, 1)).fill(0) })) });
    lines.push(`     curl -s -d '${body}' ${gw.url}/v2/models/${encodeURIComponent(name)}/infer`);
  }
  return lines;
}

/** ServeConfig (every source merged) -> the composition root's options. */
export function gatewayOptionsFrom(cfg: ServeConfig, log: Logger): GatewayOptions {
  return {
    modelRepository: cfg.modelRepository,
    modelControlMode: cfg.modelControlMode,
    scan: {
      serverDefaults: cfg.modelDefaults, overrides: cfg.modelOverrides,
      autoComplete: { enabled: !cfg.disableAutoCompleteConfig, defaultMaxBatchSize: cfg.defaultMaxBatchSize },
    },
    pool: {
      workers: cfg.workers, spinUs: cfg.spinUs, spinInFlight: cfg.spinInFlight,
      inline: { maxRows: cfg.inlineMaxRows, maxComputeUs: cfg.inlineMaxComputeUs },
      quietSpinUs: cfg.quietSpinUs,
      idleSpin: { threads: cfg.idleSpinThreads, windowUs: cfg.idleSpinWindowUs },
      loneThreads: cfg.loneIntraOpThreads,
    },
    server: {
      host: cfg.host, port: cfg.port, maxBodyBytes: cfg.maxBodyBytes, json: cfg.json,
      ...(cfg.adminToken !== undefined ? { adminToken: cfg.adminToken } : {}),
      ...(cfg.healthPort !== undefined ? { healthPort: cfg.healthPort } : {}),
    },
    log,
    exitOnError: cfg.exitOnError,
    strictReadiness: cfg.strictReadiness,
    ...(cfg.modelLoadThreads !== undefined ? { loadThreads: cfg.modelLoadThreads } : {}),
  };
}

/** The resolved configuration as the start-up line carries it: every value and where it came
 *  from, so "which setting is this pod running with" is answered from the log alone. */
export function startupFields(cfg: ServeConfig): Record<string, unknown> {
  const { warnings: _warnings, sources, ...values } = cfg;
  const given = Object.fromEntries(Object.entries(sources).filter(([, src]) => src !== 'default'));
  return { config: values, given, node: process.version, pid: process.pid };
}

export async function serve(cfg: ServeConfig): Promise<number> {
  const log = createLogger(cfg.logLevel, { format: cfg.logFormat });
  log.info('configuration', startupFields(cfg));
  for (const w of cfg.warnings) log.warn(w);
  const missing = missingNodeFlags();
  if (missing.length > 0) log.warn(`node was started without ${missing.join(' ')}: expect more GC pauses in the latency tail (npm start passes it; see docs/decisions/006)`);
  if (process.platform === 'linux' && process.env['MALLOC_MMAP_THRESHOLD_'] === undefined) {
    log.warn('MALLOC_MMAP_THRESHOLD_ is not set: memory freed after aborted or huge requests stays in glibc\'s heap (npm start and the Dockerfiles set 131072; README "Memory after abort storms")');
  }
  const probe = cfg.cpuProbe;
  const workersFrom = cfg.sources['workers'] === 'default'
    ? `one per core: ${probe.cores} core(s) from ${probe.cpus} CPU(s)${probe.quotaCores === undefined ? ', no CPU quota' : ` and a CPU quota of ${probe.quotaCores}`}`
    : `set by ${cfg.sources['workers']}`;
  log.info(`loading models from ${cfg.modelRepository} with ${cfg.workers} worker(s) (${workersFrom})`, { cpuProbe: probe });
  log.info(cfg.idleSpinThreads > 0
    ? `idle spinners: ${cfg.idleSpinThreads} thread(s), ${cfg.idleSpinWindowUs} us after each request while requests come one at a time (--idle-spin-threads 0 turns them off)`
    : 'idle spinners: off');
  log.info(cfg.loneIntraOpThreads > 0
    ? `lone requests: small batches run on a ${cfg.loneIntraOpThreads}-thread spinning ORT session while requests come one at a time (--lone-intra-op-threads 0 turns it off)`
    : 'lone-request sessions: off');
  const startMs = performance.now();
  // Off unless the standard OTEL_TRACES_EXPORTER=otlp asks (see src/observability/tracing.ts).
  const tracing = await tracingFromEnv(process.env, log);
  const gw = await createGateway({ ...gatewayOptionsFrom(cfg, log), ...(tracing ? { tracing } : {}) });
  log.info(`infergate listening on ${gw.url} (ready: ${gw.manager.isReady()})`,
    { url: gw.url, ready: gw.manager.isReady(), startMs: Math.round(performance.now() - startMs) });
  if (gw.server.healthPort !== undefined) log.info(`health endpoints (HTTP/1.0 too) on port ${gw.server.healthPort}`, { healthPort: gw.server.healthPort });
  for (const line of startupHint(gw)) log.info(line);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn(`${signal} again: exiting without draining`, { signal });
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: draining (not ready, listener closed, answering every request received with Connection: close; exit in ${cfg.exitTimeoutS} s at the latest)`, { signal });
      const drainStartMs = performance.now();
      // The exit timeout counts from the first signal and is never restarted.
      const timer = setTimeout(() => {
        log.error(`drain not finished after --exit-timeout-s ${cfg.exitTimeoutS}: exiting with ${gw.server.inFlight} request(s) unanswered`, { unanswered: gw.server.inFlight });
        resolve(1);
      }, cfg.exitTimeoutS * 1000);
      gw.close().then(() => {
        clearTimeout(timer);
        log.info('drained; bye', { drainMs: Math.round(performance.now() - drainStartMs) });
        resolve(0);
      }, (e: unknown) => {
        clearTimeout(timer);
        log.error(`drain failed: ${(e as Error).message}`, { reason: (e as Error).message });
        resolve(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

// `infergate serve`: builds the gateway (src/gateway.ts) from the resolved configuration, logs
// how to reach it, and drains on a signal. SIGTERM/SIGINT: stop accepting connections and report
// not ready, finish everything queued and in flight, then exit 0. A second signal exits at once
// with status 1.
import { createGateway, type Gateway, type GatewayOptions } from '../gateway.js';
import type { ServeConfig } from './config.js';
import { createLogger, type Logger } from '../observability/log.js';
import { missingNodeFlags } from './node-flags.js';

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
    scan: { serverDefaults: cfg.modelDefaults, overrides: cfg.modelOverrides },
    pool: {
      workers: cfg.workers, spinUs: cfg.spinUs, spinInFlight: cfg.spinInFlight,
      inline: { maxRows: cfg.inlineMaxRows, maxComputeUs: cfg.inlineMaxComputeUs },
      quietSpinUs: cfg.quietSpinUs,
      idleSpin: { threads: cfg.idleSpinThreads, windowUs: cfg.idleSpinWindowUs },
    },
    server: { host: cfg.host, port: cfg.port, maxBodyBytes: cfg.maxBodyBytes, json: cfg.json },
    log,
    exitOnError: cfg.exitOnError,
    strictReadiness: cfg.strictReadiness,
    ...(cfg.modelLoadThreads !== undefined ? { loadThreads: cfg.modelLoadThreads } : {}),
  };
}

export async function serve(cfg: ServeConfig): Promise<number> {
  const log = createLogger(cfg.logLevel);
  for (const w of cfg.warnings) log.warn(w);
  const missing = missingNodeFlags();
  if (missing.length > 0) log.warn(`node was started without ${missing.join(' ')}: expect more GC pauses in the latency tail (npm start passes it; see docs/decisions/006)`);
  log.info(`loading models from ${cfg.modelRepository} with ${cfg.workers} worker(s)`);
  log.info(cfg.idleSpinThreads > 0
    ? `idle spinners: ${cfg.idleSpinThreads} thread(s), ${cfg.idleSpinWindowUs} us after each request while requests come one at a time (--idle-spin-threads 0 turns them off)`
    : 'idle spinners: off');
  const gw = await createGateway(gatewayOptionsFrom(cfg, log));
  log.info(`infergate listening on ${gw.url} (ready: ${gw.manager.isReady()})`);
  for (const line of startupHint(gw)) log.info(line);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn(`${signal} again: exiting without draining`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: draining (not ready, finishing in-flight work)`);
      gw.close().then(() => {
        log.info('drained; bye');
        resolve(0);
      }, (e: unknown) => {
        log.error(`drain failed: ${(e as Error).message}`);
        resolve(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

// `infergate serve`: builds the gateway (src/gateway.ts) from the resolved configuration, logs
// how to reach it, and drains on a signal. SIGTERM/SIGINT: stop accepting connections and report
// not ready, finish everything queued and in flight, then exit 0. A second signal exits at once
// with status 1.
import { createGateway, type GatewayOptions } from '../gateway.js';
import type { ServeConfig } from './config.js';
import { createLogger, type Logger } from '../observability/log.js';
import { missingNodeFlags } from './node-flags.js';

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
    server: { host: cfg.host, port: cfg.port, maxBodyBytes: cfg.maxBodyBytes },
    log,
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
  log.info(`try: curl -s ${gw.url}/v2/models/ranker`);
  log.info(`     curl -s -H 'Content-Type: application/json' -d '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,128],"data":[${new Array(128).fill(0.5).join(',')}]}]}' ${gw.url}/v2/models/ranker/infer`);

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

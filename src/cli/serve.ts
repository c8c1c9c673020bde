// `infergate serve`: pool + model manager + uWS server, and graceful shutdown.
// SIGTERM/SIGINT: stop accepting connections and report not ready, finish everything queued
// and in flight, then exit 0. A second signal exits at once with status 1.
import { ExecutionPolicy } from '../pool/execution-policy.js';
import { ModelManager } from '../models/manager.js';
import { startServer } from '../server/app.js';
import type { ServeConfig } from './config.js';
import { createLogger } from '../observability/log.js';
import { missingNodeFlags } from './node-flags.js';

export async function serve(cfg: ServeConfig): Promise<number> {
  const log = createLogger(cfg.logLevel);
  for (const w of cfg.warnings) log.warn(w);
  const missing = missingNodeFlags();
  if (missing.length > 0) log.warn(`node was started without ${missing.join(' ')}: expect more GC pauses in the latency tail (npm start passes it; see README, Operations)`);
  const pool = new ExecutionPolicy({
    workers: cfg.workers, spinUs: cfg.spinUs, spinInFlight: cfg.spinInFlight,
    inline: { maxRows: cfg.inlineMaxRows, maxComputeUs: cfg.inlineMaxComputeUs },
    quietSpinUs: cfg.quietSpinUs,
    idleSpin: { threads: cfg.idleSpinThreads, windowUs: cfg.idleSpinWindowUs },
  });
  const manager = new ModelManager({
    repository: cfg.modelRepository,
    pool,
    modelControlMode: cfg.modelControlMode,
    scan: { serverDefaults: cfg.modelDefaults, overrides: cfg.modelOverrides },
    log: (line) => log.info(line),
  });
  let server;
  try {
    server = await startServer(manager, { host: cfg.host, port: cfg.port, maxBodyBytes: cfg.maxBodyBytes });
  } catch (e) {
    await pool.close();
    throw e;
  }
  log.info(`loading models from ${cfg.modelRepository} with ${cfg.workers} worker(s)`);
  const spin = pool.idleSpinStats();
  log.info(spin.threads > 0
    ? `idle spinners: ${spin.threads} thread(s), ${cfg.idleSpinWindowUs} us after each request while requests come one at a time (--idle-spin-threads 0 turns them off)`
    : 'idle spinners: off');
  try {
    await manager.start();
  } catch (e) {
    server.closeAll();
    await pool.close();
    throw e;
  }
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const url = `http://${host}:${server.port}`;
  log.info(`infergate listening on ${url} (ready: ${manager.isReady()})`);
  log.info(`try: curl -s ${url}/v2/models/ranker`);
  log.info(`     curl -s -H 'Content-Type: application/json' -d '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,128],"data":[${new Array(128).fill(0.5).join(',')}]}]}' ${url}/v2/models/ranker/infer`);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn(`${signal} again: exiting without draining`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: draining (not ready, finishing in-flight work)`);
      server.stopListening();
      void (async () => {
        try {
          await manager.drain();
          server.closeAll();
          await pool.close();
          log.info('drained; bye');
          resolve(0);
        } catch (e) {
          log.error(`drain failed: ${(e as Error).message}`);
          resolve(1);
        }
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

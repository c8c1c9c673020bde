// The composition root: the one place that wires the worker pool, the model repository and the
// HTTP/WebSocket server together. `infergate serve` (src/cli/serve.ts), the end-to-end tests
// (test/helpers/gateway.ts) and, through serve, every bench child build a gateway here, so all
// three run the same object graph.
//
// Order: the pool first (workers hold sessions), then the server listens (health answers while
// models load: ready stays false until loading has finished), then the repository loads. Any
// failure on the way closes what was opened.
import { resolve } from 'node:path';
import { ExecutionPolicy, type ExecutionOptions } from './pool/execution-policy.js';
import { ModelManager } from './repository/manager.js';
import type { ScanOptions } from './repository/scan.js';
import { startServer, type RunningServer, type ServerOptions } from './server/app.js';
import type { Logger } from './observability/log.js';
import type { Tracing } from './observability/tracing.js';
import { logErrorAnswer } from './observability/request-log.js';

export interface GatewayOptions {
  modelRepository: string;
  modelControlMode: 'none' | 'explicit';
  /** Config layers around each model's config.json (server defaults, per-model overrides). */
  scan?: ScanOptions;
  pool: ExecutionOptions;
  server: ServerOptions;
  log: Logger;
  /** Model versions loading at once (default: the CPU cores, at least 2). */
  loadThreads?: number;
  /** Ready only while every model is READY (default: while at least one is). */
  strictReadiness?: boolean;
  /** Fail start-up (close everything and reject) when any model fails to load. */
  exitOnError: boolean;
  /** One span per infer request (off when absent); shut down (flushed) by close(). */
  tracing?: Tracing;
}

/** Start-up refused because a model failed to load and exitOnError is set. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

export interface Gateway {
  /** http://host:port with the bound port (useful with port 0). */
  url: string;
  port: number;
  manager: ModelManager;
  pool: ExecutionPolicy;
  server: RunningServer;
  /** Graceful stop (README "Drain"): report not ready and stop listening at once; answer every
   *  request received, each with `Connection: close`; once nothing is in flight, unload the
   *  models, close the connections still open (idle ones) and the pool. Idempotent. */
  close(): Promise<void>;
}

export async function createGateway(o: GatewayOptions): Promise<Gateway> {
  const pool = new ExecutionPolicy(o.pool);
  const manager = new ModelManager({
    repository: o.modelRepository,
    pool,
    modelControlMode: o.modelControlMode,
    ...(o.scan ? { scan: o.scan } : {}),
    ...(o.loadThreads !== undefined ? { loadThreads: o.loadThreads } : {}),
    ...(o.strictReadiness !== undefined ? { strictReadiness: o.strictReadiness } : {}),
    log: o.log,
    ...(o.tracing ? { tracing: o.tracing } : {}),
  });
  let server: RunningServer;
  try {
    // Every error answer is counted (an infer refused before the model saw it too) and logged
    // (5xx at warn/error, 4xx at debug); successes never are logged.
    const onError: ServerOptions['onError'] = (a) => {
      manager.countRejected(a);
      // The hook runs before the error answer is written: a log that fails (a closed stderr)
      // must not cost the caller its answer, so its failure is only counted, never thrown.
      try {
        logErrorAnswer(o.log, a);
      } catch {
        manager.metrics.logFailures.inc();
      }
    };
    server = await startServer(manager, { onError, repositoryDir: resolve(o.modelRepository), ...o.server });
    const running = server;
    manager.metrics.bodyBuffers.collect({}, () => running.bodyBufferStats().checkedOut);
  } catch (e) {
    await pool.close();
    throw e;
  }
  try {
    const summary = await manager.start();
    if (o.exitOnError && summary.failed.length > 0) {
      throw new ModelLoadError(`${summary.failed.length} model(s) failed to load (${summary.failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}); `
        + 'exiting because --exit-on-error is true (false serves the models that loaded)');
    }
  } catch (e) {
    server.closeAll();
    await manager.drain().catch(() => {});
    await pool.close();
    throw e;
  }
  const host = o.server.host.includes(':') ? `[${o.server.host}]` : o.server.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port,
    manager,
    pool,
    server,
    close() {
      closing ??= (async () => {
        manager.stopReadiness();
        server.beginDrain();
        try {
          await server.whenIdle();
          await manager.drain();
        } finally {
          server.closeAll();
          await pool.close();
          await o.tracing?.shutdown().catch((e: unknown) => o.log.warn(`tracing: spans not exported at shutdown: ${(e as Error).message}`));
        }
      })();
      return closing;
    },
  };
}

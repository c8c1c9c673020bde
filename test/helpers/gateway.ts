// Starts a real gateway in this process through the composition root (src/gateway.ts): uWS on a
// free port, a Piscina pool, the native addon, over a model repository directory, for
// end-to-end tests over real sockets. Log lines are collected in `logs`.
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { ExecutionOptions } from '../../src/pool/execution-policy.js';
import type { ScanOptions } from '../../src/repository/scan.js';
import type { Logger } from '../../src/observability/log.js';
import type { Tracing } from '../../src/observability/tracing.js';
import type { JsonLimits } from '../../src/protocol/kserve-json.js';

export interface TestGateway extends Gateway {
  logs: string[];
}

/** The admin token of every test gateway (model control needs one). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
/** Headers that authorise model control on a test gateway. */
export const ADMIN_AUTH = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } as const;

export async function startTestGateway(repo: string, opts: {
  workers?: number; maxBodyBytes?: number; modelControlMode?: 'none' | 'explicit'; inline?: ExecutionOptions['inline']; idleSpin?: ExecutionOptions['idleSpin'];
  exitOnError?: boolean; loadThreads?: number; strictReadiness?: boolean; adminToken?: string; healthPort?: number; scan?: ScanOptions;
  /** The process logger to use instead of collecting plain lines in `logs`. */
  log?: Logger;
  tracing?: Tracing;
  json?: Partial<JsonLimits>; faults?: ExecutionOptions['faults'];
} = {}): Promise<TestGateway> {
  const logs: string[] = [];
  const push = (l: string): void => void logs.push(l);
  const gw = await createGateway({
    modelRepository: repo,
    modelControlMode: opts.modelControlMode ?? 'none',
    pool: { workers: opts.workers ?? 1, inline: opts.inline, idleSpin: opts.idleSpin, ...(opts.faults ? { faults: opts.faults } : {}) },
    server: { host: '127.0.0.1', port: 0, maxBodyBytes: opts.maxBodyBytes ?? 64 << 20, adminToken: opts.adminToken ?? TEST_ADMIN_TOKEN,
      ...(opts.healthPort !== undefined ? { healthPort: opts.healthPort } : {}), ...(opts.json ? { json: opts.json } : {}) },
    log: opts.log ?? { debug: push, info: push, warn: (l) => push(`warn: ${l}`), error: (l) => push(`error: ${l}`) },
    exitOnError: opts.exitOnError ?? false,
    ...(opts.tracing ? { tracing: opts.tracing } : {}),
    ...(opts.loadThreads !== undefined ? { loadThreads: opts.loadThreads } : {}),
    ...(opts.strictReadiness !== undefined ? { strictReadiness: opts.strictReadiness } : {}),
    ...(opts.scan !== undefined ? { scan: opts.scan } : {}),
  });
  return Object.assign(gw, { logs });
}

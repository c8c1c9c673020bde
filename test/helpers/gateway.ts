// Starts a real gateway in this process through the composition root (src/gateway.ts): uWS on a
// free port, a Piscina pool, the native addon, over a model repository directory, for
// end-to-end tests over real sockets. Log lines are collected in `logs`.
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { ExecutionOptions } from '../../src/pool/execution-policy.js';
import type { JsonLimits } from '../../src/protocol/kserve-json.js';

export interface TestGateway extends Gateway {
  logs: string[];
}

export async function startTestGateway(repo: string, opts: {
  workers?: number; maxBodyBytes?: number; modelControlMode?: 'none' | 'explicit'; inline?: ExecutionOptions['inline']; idleSpin?: ExecutionOptions['idleSpin'];
  exitOnError?: boolean; loadThreads?: number; strictReadiness?: boolean;
  json?: Partial<JsonLimits>; faults?: ExecutionOptions['faults'];
} = {}): Promise<TestGateway> {
  const logs: string[] = [];
  const push = (l: string): void => void logs.push(l);
  const gw = await createGateway({
    modelRepository: repo,
    modelControlMode: opts.modelControlMode ?? 'none',
    pool: { workers: opts.workers ?? 1, inline: opts.inline, idleSpin: opts.idleSpin, ...(opts.faults ? { faults: opts.faults } : {}) },
    server: { host: '127.0.0.1', port: 0, maxBodyBytes: opts.maxBodyBytes ?? 64 << 20, ...(opts.json ? { json: opts.json } : {}) },
    log: { debug: push, info: push, warn: (l) => push(`warn: ${l}`), error: (l) => push(`error: ${l}`) },
    exitOnError: opts.exitOnError ?? false,
    ...(opts.loadThreads !== undefined ? { loadThreads: opts.loadThreads } : {}),
    ...(opts.strictReadiness !== undefined ? { strictReadiness: opts.strictReadiness } : {}),
  });
  return Object.assign(gw, { logs });
}

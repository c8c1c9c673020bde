// Starts a real gateway in this process (uWS on a free port, a Piscina pool, the native addon)
// over a model repository directory, for end-to-end tests over real sockets.
import { ExecutionPolicy, type ExecutionOptions } from '../../src/pool/execution-policy.js';
import { ModelManager } from '../../src/models/manager.js';
import { startServer, type RunningServer } from '../../src/server/app.js';

export interface TestGateway {
  url: string;
  port: number;
  manager: ModelManager;
  pool: ExecutionPolicy;
  server: RunningServer;
  logs: string[];
  close(): Promise<void>;
}

export async function startTestGateway(repo: string, opts: {
  workers?: number; maxBodyBytes?: number; modelControlMode?: 'none' | 'explicit'; inline?: ExecutionOptions['inline']; idleSpin?: ExecutionOptions['idleSpin'];
} = {}): Promise<TestGateway> {
  const pool = new ExecutionPolicy({ workers: opts.workers ?? 1, inline: opts.inline, idleSpin: opts.idleSpin });
  const logs: string[] = [];
  const manager = new ModelManager({ repository: repo, pool, modelControlMode: opts.modelControlMode ?? 'none', log: (l) => logs.push(l) });
  await manager.start();
  const server = await startServer(manager, { host: '127.0.0.1', port: 0, maxBodyBytes: opts.maxBodyBytes ?? 64 << 20 });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    manager,
    pool,
    server,
    logs,
    async close() {
      server.stopListening();
      await manager.drain();
      server.closeAll();
      await pool.close();
    },
  };
}

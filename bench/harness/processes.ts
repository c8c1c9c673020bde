// Child processes of the suite: the servers under test (peers, the gateway) and the load
// generator. Each runs in its own process, so the suite's own event loop never sits between
// a client and a server.
import { spawn, type ChildProcess } from 'node:child_process';
import { GATEWAY_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LoadResult } from '../loadgen/result.js';

export interface ServerHandle {
  url: string;
  proc: ChildProcess;
  command: string;
  /** The last lines the server wrote (stdout and stderr). */
  output(): string;
  /** Null while running; else how it ended ("exited (1)", "exited (SIGKILL)"). */
  exited(): string | null;
  stop(): Promise<void>;
}

function watchExit(proc: ChildProcess): () => string | null {
  let how: string | null = null;
  proc.once('exit', (code, signal) => { how = `exited (${code ?? signal})`; });
  return () => how;
}

/** Collects the last `limit` characters a stream wrote (for error messages). */
function tail(proc: ChildProcess, limit = 2000): () => string {
  let text = '';
  const add = (b: Buffer): void => {
    text = (text + b.toString('utf8')).slice(-limit);
  };
  proc.stderr?.on('data', add);
  proc.stdout?.on('data', add);
  return () => text.trim();
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Starts a peer script that prints {"listening": port} on its first stdout line. */
export function startPeer(root: string, script: string, args: string[], timeoutMs = 30_000): Promise<ServerHandle> {
  const file = join(root, 'dist/bench/peers', script);
  const command = `node ${join('dist/bench/peers', script)} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [file, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = tail(proc);
    let line = '';
    const timer = setTimeout(() => fail(`did not report listening within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${command}: ${why}${output() ? `\n${output()}` : ''}`));
    };
    proc.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
    proc.stdout!.on('data', (b: Buffer) => {
      line += b.toString('utf8');
      const nl = line.indexOf('\n');
      if (nl < 0) return;
      try {
        const msg = JSON.parse(line.slice(0, nl)) as { listening?: number; host?: string };
        if (typeof msg.listening !== 'number') throw new Error('no port');
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolve({ url: `http://${msg.host ?? '127.0.0.1'}:${msg.listening}`, proc, command, output, exited: watchExit(proc), stop: stopper(proc) });
      } catch {
        fail(`unexpected first line "${line.slice(0, nl)}"`);
      }
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the gateway (`node bin/infergate.js serve --model-repository models --port P ...`) and
 * waits for GET /v2/health/ready = 200 and the model's own ready route. Rejects with the reason
 * (missing entry point, early exit with its output, not ready in time).
 */
export async function startGateway(root: string, repo: string, model: string, extraArgs: string[], timeoutMs = 90_000): Promise<ServerHandle> {
  const entry = join(root, 'bin/infergate.js');
  if (!existsSync(entry)) throw new Error('bin/infergate.js does not exist yet');
  const port = await freePort();
  const args = ['serve', '--model-repository', repo, '--port', String(port), ...extraArgs];
  // Launched as the npm start script does, with the gateway's V8 flags.
  const command = `node ${GATEWAY_NODE_FLAGS.join(' ')} bin/infergate.js ${args.join(' ')}`;
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, entry, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tail(proc, 4000);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  const exited = watchExit(proc);
  const stop = stopper(proc);
  for (;;) {
    if (exited()) throw new Error(`${command}: ${exited()} before ready${output() ? `\n${output()}` : ''}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command}: not ready within ${timeoutMs / 1000} s${output() ? `\n${output()}` : ''}`);
    }
    const ready = async (path: string): Promise<boolean> => {
      try {
        const r = await fetch(url + path, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        return r.status === 200;
      } catch {
        return false;
      }
    };
    if (await ready('/v2/health/ready') && await ready(`/v2/models/${model}/ready`)) return { url, proc, command, output, exited, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs the load generator CLI in its own process; resolves with its JSON result. */
export function runLoadgen(root: string, args: string[], outFile: string, timeoutMs: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'dist/bench/loadgen/cli.js'), ...args, '--json', outFile, '--quiet'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = tail(proc);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', async (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`loadgen ${code === null ? `killed (${signal})` : `exited ${code}`}: ${output()}`));
      try {
        const { readFile } = await import('node:fs/promises');
        resolve(JSON.parse(await readFile(outFile, 'utf8')) as LoadResult);
      } catch (e) {
        reject(new Error(`loadgen result unreadable: ${(e as Error).message}`));
      }
    });
  });
}

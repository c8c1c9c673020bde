// Runs the real CLI (`infergate serve --port 0 ...`) as a child process, for tests of what only
// a process shows: signals, exit codes, start-up refusals.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/infergate.js', import.meta.url));

export interface Served { child: ChildProcess; url: string; port: number; log: () => string; exited: Promise<number | null> }

/** Starts `infergate serve`; resolves once it listens (rejects with the log if it exits first). */
export async function serveProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout!.on('data', (c: Buffer) => { log += c.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    });
    void exited.then((code) => { clearTimeout(t); reject(Object.assign(new Error(`server exited early with ${code}:\n${log}`), { code, log })); });
  });
  return { child, url, port: Number(new URL(url).port), log: () => log, exited };
}

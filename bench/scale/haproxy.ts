// HAProxy, the load balancer in front of the replicas (Debian 12: `apt-get install -y haproxy`,
// HAProxy 2.6). Found on PATH; installed with apt-get when asked and running as root; otherwise
// the script stops and says how to install it.
//
// The configuration is the one a Kubernetes ingress or a VM fleet would use in front of
// infergate: least-connections balancing, health checks on /v2/health/ready, and L7 retries on
// another replica for what a replica that died or drains answers (connection failure, empty
// response, 503), which is safe because an infer is idempotent. Retrying a POST needs its body
// buffered (`option http-buffer-request`). The health check is sent as HTTP/1.1 with a Host
// header: HAProxy's default check is HTTP/1.0, which this uWebSockets.js build does not answer.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';

export function findHaproxy(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The haproxy binary; installs the Debian package when allowed. Throws with instructions. */
export function ensureHaproxy(install: boolean, say: (line: string) => void): string {
  const found = findHaproxy();
  if (found) return found;
  const how = 'install HAProxy first: `apt-get install -y haproxy` (Debian/Ubuntu package "haproxy"), or rerun with --install as root';
  if (!install) throw new Error(`haproxy is not on PATH: ${how}`);
  if (process.getuid?.() !== 0) throw new Error(`haproxy is not on PATH and this is not root: ${how}`);
  say('haproxy not found: running apt-get install -y haproxy');
  execFileSync('apt-get', ['install', '-y', 'haproxy'], { stdio: 'inherit' });
  const after = findHaproxy();
  if (!after) throw new Error(`apt-get ran but haproxy is still not on PATH: ${how}`);
  return after;
}

export function haproxyConfig(frontPort: number, replicaPorts: readonly number[]): string {
  return `global
  maxconn 8192

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # L7 retries: up to 2 more tries, on another replica (redispatch), for a replica that refused
  # the connection, closed it without an answer, or answered 503 (draining, not ready, shed).
  retries 2
  option redispatch 1
  option http-buffer-request
  retry-on conn-failure empty-response 503

frontend infer
  bind 127.0.0.1:${frontPort}
  default_backend infergate

backend infergate
  balance leastconn
  option httpchk
  http-check send meth GET uri /v2/health/ready ver HTTP/1.1 hdr Host localhost
  default-server check inter 500ms fall 2 rise 2
${replicaPorts.map((p, i) => `  server r${i} 127.0.0.1:${p}`).join('\n')}
`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface Proxy {
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Runs haproxy in the foreground (-db) on `cfgPath`; resolves once the frontend answers ready
 *  through a healthy replica. */
export async function startHaproxy(bin: string, cfgPath: string, cfg: string, frontPort: number, timeoutMs = 20_000): Promise<Proxy> {
  writeFileSync(cfgPath, cfg);
  const proc = spawn(bin, ['-f', cfgPath, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-2000); });
  const stop = (): Promise<void> => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited (${proc.exitCode}): ${err}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy not ready within ${timeoutMs} ms: ${err}`);
    }
    if (await portOpen(frontPort)) {
      const ok = await fetch(`http://127.0.0.1:${frontPort}/v2/health/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false);
      if (ok) return { proc, stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

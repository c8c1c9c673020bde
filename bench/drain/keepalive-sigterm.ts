// The drain under keep-alive load, long form (the short form is test/server/drain.test.ts):
// ROUNDS times, a real `infergate serve` child, CLIENTS raw keep-alive connections each in a
// closed loop (one request at a time, every request written counted against every answer
// read), SIGTERM after WARM_MS of traffic. Reports per round: requests sent, answered, lost
// (written, never answered), answers other than 200, how the connections ended, and the time
// from the signal to the exit. The property: lost = 0 and non-200 = 0 in every round.
//
//   npm run bench:drain [-- ROUNDS CLIENTS WARM_MS] [--out FILE.md]
import { rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeReluRepo } from '../../test/helpers/fixtures.js';
import { serveProcess } from '../../test/helpers/serve-process.js';
import { keepAliveLoop, rawPost } from '../../test/helpers/keepalive-client.js';

interface Round { sent: number; answered: number; lost: number; non200: number; connectionClose: number; idleClose: number; exitCode: number | null; exitMs: number }

async function round(repo: string, clients: number, warmMs: number): Promise<Round> {
  const s = await serveProcess(['--model-repository', repo, '--workers', '1']);
  try {
    const req = rawPost('/v2/models/m/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, -1, 2, -2] }] }));
    const loops = Array.from({ length: clients }, () => keepAliveLoop(s.port, req));
    await Promise.all(loops.map((l) => l.connected));
    await new Promise((r) => setTimeout(r, warmMs));
    const t0 = performance.now();
    s.child.kill('SIGTERM');
    const stats = await Promise.all(loops.map((l) => l.done));
    const exitCode = await s.exited;
    const exitMs = performance.now() - t0;
    const sum = (f: (x: (typeof stats)[number]) => number): number => stats.reduce((n, x) => n + f(x), 0);
    return {
      sent: sum((x) => x.sent), answered: sum((x) => x.answered), lost: sum((x) => x.lost),
      non200: sum((x) => x.answers.filter((a) => a.status !== 200).length),
      connectionClose: sum((x) => (x.ended === 'connection-close' ? 1 : 0)), idleClose: sum((x) => (x.ended === 'idle-close' ? 1 : 0)),
      exitCode, exitMs,
    };
  } finally {
    s.child.kill('SIGKILL');
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args.splice(outIdx, 2)[1] : undefined;
  const [rounds = 10, clients = 128, warmMs = 1000] = args.map(Number);
  const repo = makeReluRepo('infergate-drain-bench-');
  const rows: Round[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const r = await round(repo, clients, warmMs);
      rows.push(r);
      console.error(`round ${i + 1}/${rounds}: ${JSON.stringify(r)}`);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
  const exits = rows.map((r) => r.exitMs).sort((a, b) => a - b);
  const lines = [
    `# Drain under keep-alive load (${new Date().toISOString().slice(0, 10)})`,
    '',
    `\`npm run bench:drain -- ${rounds} ${clients} ${warmMs}\`: ${rounds} rounds; each a fresh \`infergate serve --workers 1\` on a`,
    `one-model repository (Relu, FP32 [1,4] JSON requests), ${clients} raw keep-alive clients in a closed loop, SIGTERM after`,
    `${warmMs} ms of traffic. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), shared with other work.`,
    '',
    '| round | sent | answered | lost | non-200 | ended behind Connection: close | closed idle | exit code | signal to exit (ms) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r, i) => `| ${i + 1} | ${r.sent} | ${r.answered} | ${r.lost} | ${r.non200} | ${r.connectionClose} | ${r.idleClose} | ${r.exitCode} | ${Math.round(r.exitMs)} |`),
    '',
    `Total: ${rows.reduce((n, r) => n + r.sent, 0)} requests sent, ${rows.reduce((n, r) => n + r.lost, 0)} lost, `
      + `${rows.reduce((n, r) => n + r.non200, 0)} answered other than 200; signal to exit median ${Math.round(exits[Math.floor(exits.length / 2)] ?? 0)} ms `
      + `(min ${Math.round(exits[0] ?? 0)}, max ${Math.round(exits.at(-1) ?? 0)}).`,
    '',
  ];
  const text = lines.join('\n');
  if (out) writeFileSync(out, text);
  process.stdout.write(text);
  const ok = rows.every((r) => r.lost === 0 && r.non200 === 0 && r.exitCode === 0);
  return ok ? 0 : 1;
}

process.exit(await main());

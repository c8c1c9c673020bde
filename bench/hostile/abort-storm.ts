// Abort storms (issue 16, point 4): clients that disconnect mid-body and mid-compute. RSS is
// sampled before, right after and after a settling pause, so a leak (RSS growing round after
// round) is told apart from memory the allocator keeps for reuse (bounded, flat across rounds).
import { performance } from 'node:perf_hooks';
import { postHead, RawClient } from './raw-http.js';

export interface StormRound {
  round: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssSettledMiB: number;
  ms: number;
}

const MIB = 1024 * 1024;

/** `clients` connections announce `bodyBytes`, send half of it, and disconnect. */
async function midBody(port: number, clients: number, bodyBytes: number): Promise<void> {
  const half = Buffer.alloc(bodyBytes >>> 1, 0x31);
  await Promise.all(Array.from({ length: clients }, async () => {
    const c = await RawClient.open(port);
    c.write(Buffer.from(postHead('/v2/models/ranker/infer', bodyBytes, { 'Content-Type': 'application/json' }), 'latin1'));
    c.write(half);
    await new Promise((r) => setTimeout(r, 20));
    c.close();
  }));
}

/** `clients` connections send a whole `rows`-row request and disconnect while it computes. */
async function midCompute(port: number, clients: number, rows: number): Promise<void> {
  const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 128], data: new Array(rows * 128).fill(0.25) }] }));
  await Promise.all(Array.from({ length: clients }, async () => {
    const c = await RawClient.open(port);
    c.write(Buffer.from(postHead('/v2/models/ranker/infer', body.length, { 'Content-Type': 'application/json' }), 'latin1'));
    c.write(body);
    await new Promise((r) => setTimeout(r, 5));
    c.close();
  }));
}

/** RSS of the gateway: this process's by default, or a child's from /proc (bench). */
export type RssReader = () => number;

export async function abortStorms(port: number, rss: RssReader, rounds = 3, clients = 200, settleMs = 2000): Promise<StormRound[]> {
  const out: StormRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = rss();
    const t0 = performance.now();
    await midBody(port, clients, 1 * MIB);
    await midCompute(port, clients, 256);
    const after = rss();
    await new Promise((r) => setTimeout(r, settleMs));
    out.push({ round, rssBeforeMiB: before / MIB, rssAfterMiB: after / MIB, rssSettledMiB: rss() / MIB, ms: performance.now() - t0 });
  }
  return out;
}

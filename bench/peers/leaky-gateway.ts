// The soak's negative control: a real gateway (the composition root, as serve builds it) in a
// process that also leaks on purpose, 64 KiB every 100 ms (37.5 MiB per minute), so that the soak
// check (bench/hostile/rss-trend.ts) can be seen to fail. Prints {"listening": port} first.
//   node dist/bench/peers/leaky-gateway.js REPO [PORT]
import { createGateway } from '../../src/gateway.js';

const repo = process.argv[2];
if (repo === undefined) throw new Error('usage: leaky-gateway.js REPO [PORT]');
const gw = await createGateway({
  modelRepository: repo, modelControlMode: 'none', exitOnError: true,
  pool: { workers: 1 }, server: { host: '127.0.0.1', port: Number(process.argv[3] ?? 0), maxBodyBytes: 64 << 20 },
  log: { debug() {}, info() {}, warn() {}, error: (l) => console.error(l) },
});
const leaked: Buffer[] = [];
setInterval(() => leaked.push(Buffer.alloc(64 * 1024, leaked.length & 0xff)), 100);
console.log(JSON.stringify({ listening: gw.port }));
process.once('SIGTERM', () => void gw.close().then(() => process.exit(0)));

// Peer: node:http + raw float32 body + onnxruntime-node, one session.run per request.
// POST /infer with K x features float32 values (little-endian) answers K float32 scores.
// The simplest fast server one would write with the stock tools; the gateway's K=1 and K=200
// targets are ratios to this one.
// Usage: node dist/bench/peers/raw-peer.js --model models/ranker/1/model.onnx [--port 0] [--threads 1]
import { createServer } from 'node:http';
import { commonRoutes, HttpError, listen, openSession, parsePeerArgs, readBody, score, sendError } from './peer-common.js';

const USAGE = 'usage: raw-peer --model PATH [--port N] [--host H] [--threads N] [--model-name NAME]';
const MAX_BODY_BYTES = 64 << 20;

async function main(): Promise<void> {
  const a = parsePeerArgs(process.argv.slice(2), USAGE);
  const s = await openSession(a.model, a.threads);
  const rowBytes = s.features * 4;
  const server = createServer((req, res) => {
    if (commonRoutes(a, s, req, res)) return;
    if (req.method !== 'POST' || req.url !== '/infer') return sendError(res, new HttpError(404, 'POST /infer only'));
    readBody(req, MAX_BODY_BYTES)
      .then(async (body) => {
        if (body.length === 0 || body.length % rowBytes !== 0) {
          throw new HttpError(400, `body must be K x ${s.features} float32 values (${body.length} bytes)`);
        }
        // Float32Array needs a 4-byte aligned offset; pooled Buffers usually are, copy if not.
        const aligned = body.byteOffset % 4 === 0 ? body : Buffer.from(body);
        const rows = body.length / rowBytes;
        const scores = await score(s, new Float32Array(aligned.buffer, aligned.byteOffset, rows * s.features), rows);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': scores.byteLength });
        res.end(Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength));
      })
      .catch((e: unknown) => sendError(res, e));
  });
  listen(server, a, 'raw');
}

main().catch((e: unknown) => {
  console.error(`raw-peer: ${(e as Error).message}`);
  process.exit(1);
});

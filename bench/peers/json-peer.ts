// Peer: node:http + KServe v2 JSON + onnxruntime-node, one session.run per request: what a
// straightforward KServe-compatible Node server costs (JSON parse of every feature value).
// Usage: node dist/bench/peers/json-peer.js --model models/ranker/1/model.onnx [--port 0] [--threads 1]
import { createServer } from 'node:http';
import { commonRoutes, HttpError, listen, openSession, parsePeerArgs, readBody, score, sendError } from './peer-common.js';

const USAGE = 'usage: json-peer --model PATH [--port N] [--host H] [--threads N] [--model-name NAME]';
const MAX_BODY_BYTES = 64 << 20;

interface JsonInput { name?: unknown; shape?: unknown; datatype?: unknown; data?: unknown }

async function main(): Promise<void> {
  const a = parsePeerArgs(process.argv.slice(2), USAGE);
  const s = await openSession(a.model, a.threads);
  const inferPath = `/v2/models/${a.modelName}/infer`;
  const server = createServer((req, res) => {
    if (commonRoutes(a, s, req, res)) return;
    if (req.method !== 'POST' || req.url !== inferPath) return sendError(res, new HttpError(404, `POST ${inferPath} only`));
    readBody(req, MAX_BODY_BYTES)
      .then(async (body) => {
        let doc: { id?: unknown; inputs?: JsonInput[] };
        try {
          doc = JSON.parse(body.toString('utf8')) as typeof doc;
        } catch (e) {
          throw new HttpError(400, `invalid JSON: ${(e as Error).message}`);
        }
        const input = Array.isArray(doc.inputs) ? doc.inputs.find((x) => x?.name === s.inputName) : undefined;
        if (!input || input.datatype !== 'FP32' || !Array.isArray(input.shape) || !Array.isArray(input.data)) {
          throw new HttpError(400, `expected inputs[] with "${s.inputName}", datatype FP32, shape and data`);
        }
        const shape = input.shape as unknown[];
        const rows = Number(shape[0]);
        const flat = (input.data as unknown[]).flat(Infinity) as number[];
        if (shape.length !== 2 || Number(shape[1]) !== s.features || !Number.isInteger(rows) || rows < 1 || flat.length !== rows * s.features) {
          throw new HttpError(400, `shape must be [K, ${s.features}] and match data (${flat.length} values)`);
        }
        const scores = await score(s, Float32Array.from(flat), rows);
        const out = JSON.stringify({
          model_name: a.modelName,
          ...(typeof doc.id === 'string' ? { id: doc.id } : {}),
          outputs: [{ name: s.outputName, datatype: 'FP32', shape: [rows, 1], data: Array.from(scores) }],
        });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out) });
        res.end(out);
      })
      .catch((e: unknown) => sendError(res, e));
  });
  listen(server, a, 'json');
}

main().catch((e: unknown) => {
  console.error(`json-peer: ${(e as Error).message}`);
  process.exit(1);
});

// Shared by the peer servers: argv, one onnxruntime-node session, body reading, the KServe
// metadata and health routes (so the load generator discovers the input the same way as on
// the gateway), and the machine-readable "listening" line the suite waits for.
//
// Honesty rules for peers: the same model file and data as the gateway, ORT intra-op threads 1
// by default (the gateway's default per worker) or ORT's own defaults with --threads 0 (the
// suite runs both and holds the gateway to the stronger), inter-op 1, no tricks beyond ORT's
// defaults, and nothing skipped that a real server of that kind would do.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import ort from 'onnxruntime-node';

export interface PeerArgs {
  model: string;
  modelName: string;
  port: number;
  host: string;
  threads: number;
}

export function parsePeerArgs(argv: readonly string[], usage: string): PeerArgs {
  const a: PeerArgs = { model: '', modelName: 'ranker', port: 0, host: '127.0.0.1', threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--model': a.model = v ?? ''; i++; break;
      case '--model-name': a.modelName = v ?? ''; i++; break;
      case '--port': a.port = Number(v); i++; break;
      case '--host': a.host = v ?? ''; i++; break;
      case '--threads': a.threads = Number(v); i++; break;
      default: throw new Error(`unknown option "${argv[i]}"\n${usage}`);
    }
  }
  if (a.model === '') throw new Error(`--model is required\n${usage}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new Error('--port must be an integer in 0..65535');
  if (!Number.isInteger(a.threads) || a.threads < 0) throw new Error('--threads must be a non-negative integer (0 = ORT decides)');
  return a;
}

export interface RankerSession {
  session: ort.InferenceSession;
  inputName: string;
  outputName: string;
  features: number;
}

export async function openSession(modelPath: string, threads: number): Promise<RankerSession> {
  // threads 0: ORT's defaults, every core with spinning pool threads. 1: no pool thread at all.
  const session = await ort.InferenceSession.create(modelPath, {
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const meta = session.inputMetadata[0] as { shape?: Array<number | string> } | undefined;
  const features = Number(meta?.shape?.[meta.shape.length - 1]);
  if (!Number.isInteger(features) || features <= 0) throw new Error(`${modelPath}: the first input's last dimension must be fixed`);
  return { session, inputName, outputName, features };
}

/** Runs rows x features float32 values; returns the first output's values. */
export async function score(s: RankerSession, values: Float32Array, rows: number): Promise<Float32Array> {
  const out = await s.session.run({ [s.inputName]: new ort.Tensor('float32', values, [rows, s.features]) });
  return out[s.outputName]!.data as Float32Array;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) {
        reject(new HttpError(413, `body larger than ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n)));
    req.on('error', reject);
  });
}

/** Health and metadata routes; true when handled. */
export function commonRoutes(a: PeerArgs, s: RankerSession, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET') return false;
  if (req.url === '/v2/health/ready' || req.url === '/v2/health/live') {
    res.writeHead(200).end();
    return true;
  }
  if (req.url === `/v2/models/${a.modelName}`) {
    const body = JSON.stringify({
      name: a.modelName, platform: 'onnxruntime_onnx',
      inputs: [{ name: s.inputName, datatype: 'FP32', shape: [-1, s.features] }],
      outputs: [{ name: s.outputName, datatype: 'FP32', shape: [-1, 1] }],
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    return true;
  }
  return false;
}

export function sendError(res: ServerResponse, e: unknown): void {
  const status = e instanceof HttpError ? e.status : 500;
  const body = JSON.stringify({ error: (e as Error)?.message ?? String(e) });
  if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Listens, prints {"listening":port,...} on one stdout line, stops cleanly on SIGTERM/SIGINT. */
export function listen(server: Server, a: PeerArgs, peer: string): void {
  server.keepAliveTimeout = 60_000;
  server.listen(a.port, a.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : a.port;
    process.stdout.write(JSON.stringify({ listening: port, host: a.host, peer, threads: a.threads, pid: process.pid }) + '\n');
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Writes the seeded demo ranking models as a Triton-style model repository:
//   <repo>/ranker/config.json, <repo>/ranker/1/model.onnx
//   <repo>/dlrm/config.json,   <repo>/dlrm/1/model.onnx
// plus <repo>/<model>/.demo-model.json, the stamp that lets a repeated install skip the work.
// Usage: node dist/scripts/gen-demo-models.js <repoDir> [--force]
//
// Why generated and not committed: dlrm is ~35 MB of embedding weights. Every weight comes from
// a fixed seed (src/models/seeded-random.ts) and protobuf encoding is deterministic, so two
// runs write byte-identical files. Bump GENERATOR_VERSION whenever the output would change.
//
// The ONNX protobuf is built directly on onnx-proto (protobufjs 6 classes) with a minimal
// graph builder below; only what these two models need.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { SeededRandom } from '../test/fixtures/seeded-random.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export const GENERATOR_VERSION = 1;
export const OPSET = 17;
/** DLRM embedding width: 32 keeps dlrm/1/model.onnx ~35 MB (64 would be ~70 MB). */
export const DLRM_EMBEDDING_DIM = 32;
export const DLRM_TABLES = 26;
export const DLRM_ROWS_PER_TABLE = 10_000;
export const DLRM_DENSE_FEATURES = 13;
export const RANKER_FEATURES = 128;

type AttrValue = number | number[];

/** Collects nodes and initializers; names are generated so a model reads top to bottom. */
class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private counter = 0;

  /** Adds a float32 or int64 initializer; data is copied into raw_data (little-endian). */
  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const dataType = data instanceof Float32Array ? DT.FLOAT : DT.INT64;
    this.initializers.push({ name, dims, dataType, rawData: bytes });
    return name;
  }

  int64s(name: string, values: number[]): string {
    return this.constant(name, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Adds a node with `outputCount` generated output names; returns them. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputCount = 1): string[] {
    const id = this.counter++;
    const outputs = Array.from({ length: outputCount }, (_, k) => `${opType.toLowerCase()}_${id}${outputCount > 1 ? `_${k}` : ''}`);
    const attribute = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v) ? { name, type: AT.INTS, ints: v } : { name, type: AT.INT, i: v });
    this.nodes.push({ name: `${opType}_${id}`, opType, input: inputs, output: outputs, attribute });
    return outputs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0]!;
  }

  /**
   * Dense layer as Gemm(x, W^T) + b with W [out, in]. He-uniform weights (limit sqrt(6/in))
   * keep ReLU activations at a stable scale, so the final sigmoid is not saturated.
   */
  dense(x: string, prefix: string, inDim: number, outDim: number, rng: SeededRandom, relu: boolean): string {
    const limit = Math.sqrt(6 / inDim);
    const w = this.constant(`${prefix}.weight`, [outDim, inDim], rng.fillUniform(new Float32Array(outDim * inDim), -limit, limit));
    const b = this.constant(`${prefix}.bias`, [outDim], rng.fillUniform(new Float32Array(outDim), -0.01, 0.01));
    const y = this.op('Gemm', [x, w, b], { transB: 1 });
    return relu ? this.op('Relu', [y]) : y;
  }

  /** Chain of dense layers; ReLU after each except where `lastRelu` is false. */
  mlp(x: string, prefix: string, dims: number[], rng: SeededRandom, lastRelu: boolean): string {
    let y = x;
    for (let i = 1; i < dims.length; i++) {
      y = this.dense(y, `${prefix}.${i - 1}`, dims[i - 1]!, dims[i]!, rng, lastRelu || i < dims.length - 1);
    }
    return y;
  }
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function encodeModel(
  g: GraphBuilder, name: string, inputs: OnnxTypes.IValueInfoProto[], outputs: OnnxTypes.IValueInfoProto[], doc: string,
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'infergate-gen-demo-models',
    producerVersion: String(GENERATOR_VERSION),
    docString: doc,
    graph: { name, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** ranker: features float32[N,128] -> 512 -> 256 -> 1 (ReLU MLP) -> Sigmoid -> score float32[N,1]. */
export function buildRanker(seed = 0x5eed0001): Uint8Array {
  const rng = new SeededRandom(seed);
  const g = new GraphBuilder();
  const logit = g.mlp('features', 'mlp', [RANKER_FEATURES, 512, 256, 1], rng, false);
  g.nodes.push({ name: 'Sigmoid_out', opType: 'Sigmoid', input: [logit], output: ['score'] });
  return encodeModel(g, 'ranker',
    [valueInfo('features', DT.FLOAT, ['batch', RANKER_FEATURES])],
    [valueInfo('score', DT.FLOAT, ['batch', 1])],
    `infergate demo ranker, seed ${seed}`);
}

/** Indices of the strictly-lower triangle (i > j) of a flattened k x k matrix, row-major. */
export function lowerTriangleIndices(k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) out.push(i * k + j);
  return out;
}

/**
 * dlrm: dense float32[N,13] -> bottom MLP 13-512-256-32 (ReLU); sparse int64[N,26] -> one
 * Gather per 10,000 x 32 table (an out-of-range index is an ORT error, never a silent read of
 * the next table); the 27 vectors' pairwise dots (lower triangle, 351) ++ bottom output (32)
 * -> top MLP 383-512-256-1 -> Sigmoid -> score float32[N,1].
 */
export function buildDlrm(seed = 0x5eed0002): Uint8Array {
  const rng = new SeededRandom(seed);
  const g = new GraphBuilder();
  const dim = DLRM_EMBEDDING_DIM;
  const vectors = DLRM_TABLES + 1;
  const bottom = g.mlp('dense', 'bottom', [DLRM_DENSE_FEATURES, 512, 256, dim], rng, true);

  const columns = g.node('Split', ['sparse', g.int64s('split_ones', new Array<number>(DLRM_TABLES).fill(1))], { axis: 1 }, DLRM_TABLES);
  const embedded: string[] = [];
  for (let t = 0; t < DLRM_TABLES; t++) {
    // U(-0.5, 0.5): dot products of two rows have std ~0.5, so the interaction is informative.
    const table = g.constant(`emb.${t}`, [DLRM_ROWS_PER_TABLE, dim], rng.fillUniform(new Float32Array(DLRM_ROWS_PER_TABLE * dim), -0.5, 0.5));
    embedded.push(g.op('Gather', [table, columns[t]!], { axis: 0 })); // [N,1,dim]
  }
  const bottom3d = g.op('Unsqueeze', [bottom, g.int64s('axes_1', [1])]); // [N,1,dim]
  const stacked = g.op('Concat', [bottom3d, ...embedded], { axis: 1 }); // [N,27,dim]
  const transposed = g.op('Transpose', [stacked], { perm: [0, 2, 1] }); // [N,dim,27]
  const dots = g.op('MatMul', [stacked, transposed]); // [N,27,27]
  const flat = g.op('Reshape', [dots, g.int64s('flat_shape', [-1, vectors * vectors])]); // [N,729]
  const tri = lowerTriangleIndices(vectors);
  const interaction = g.op('Gather', [flat, g.int64s('lower_triangle', tri)], { axis: 1 }); // [N,351]
  const joined = g.op('Concat', [bottom, interaction], { axis: 1 }); // [N,383]
  const logit = g.mlp(joined, 'top', [dim + tri.length, 512, 256, 1], rng, false);
  g.nodes.push({ name: 'Sigmoid_out', opType: 'Sigmoid', input: [logit], output: ['score'] });
  return encodeModel(g, 'dlrm',
    [valueInfo('dense', DT.FLOAT, ['batch', DLRM_DENSE_FEATURES]), valueInfo('sparse', DT.INT64, ['batch', DLRM_TABLES])],
    [valueInfo('score', DT.FLOAT, ['batch', 1])],
    `infergate demo DLRM, seed ${seed}, ${DLRM_TABLES} tables of ${DLRM_ROWS_PER_TABLE}x${dim}`);
}

interface DemoModel { name: string; build: () => Uint8Array; config: Record<string, unknown> }

/** Minimal per-model config; the lead owns the schema (src/models/) and may extend it. */
const DEMO_MODELS: DemoModel[] = [
  { name: 'ranker', build: () => buildRanker(), config: { max_batch_size: 1024, dynamic_batching: {} } },
  { name: 'dlrm', build: () => buildDlrm(), config: { max_batch_size: 1024, dynamic_batching: {} } },
];

interface Stamp { generator: string; version: number; modelBytes: number }

export interface GenerateResult { name: string; path: string; bytes: number; skipped: boolean; ms: number }

function upToDate(modelDir: string, modelPath: string): boolean {
  const stampPath = join(modelDir, '.demo-model.json');
  if (!existsSync(stampPath) || !existsSync(modelPath) || !existsSync(join(modelDir, 'config.json'))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as Stamp;
    return stamp.generator === 'gen-demo-models' && stamp.version === GENERATOR_VERSION &&
      stamp.modelBytes === statSync(modelPath).size;
  } catch {
    return false; // a corrupt stamp just means "regenerate"
  }
}

/** Writes via a temp file + rename so an interrupted install never leaves a half model. */
function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Generates every demo model into `repoDir`, skipping models whose stamp is current. */
export function generateDemoModels(repoDir: string, options: { force?: boolean } = {}): GenerateResult[] {
  const results: GenerateResult[] = [];
  for (const m of DEMO_MODELS) {
    const t0 = performance.now();
    const modelDir = join(repoDir, m.name);
    const modelPath = join(modelDir, '1', 'model.onnx');
    if (!options.force && upToDate(modelDir, modelPath)) {
      results.push({ name: m.name, path: modelPath, bytes: statSync(modelPath).size, skipped: true, ms: performance.now() - t0 });
      continue;
    }
    mkdirSync(join(modelDir, '1'), { recursive: true });
    const bytes = m.build();
    writeAtomic(modelPath, bytes);
    writeAtomic(join(modelDir, 'config.json'), `${JSON.stringify(m.config, null, 2)}\n`);
    const stamp: Stamp = { generator: 'gen-demo-models', version: GENERATOR_VERSION, modelBytes: bytes.byteLength };
    writeAtomic(join(modelDir, '.demo-model.json'), `${JSON.stringify(stamp)}\n`);
    results.push({ name: m.name, path: modelPath, bytes: bytes.byteLength, skipped: false, ms: performance.now() - t0 });
  }
  return results;
}

function main(argv: string[]): void {
  const args = argv.filter((a) => a !== '--force');
  if (args.length !== 1) {
    console.error('usage: gen-demo-models <repoDir> [--force]');
    process.exit(2);
  }
  const t0 = performance.now();
  for (const r of generateDemoModels(resolve(args[0]!), { force: argv.includes('--force') })) {
    const mb = (r.bytes / 1e6).toFixed(1);
    console.log(`[gen-demo-models] ${r.name}: ${r.skipped ? 'up to date' : 'written'} ${r.path} (${mb} MB, ${r.ms.toFixed(0)} ms)`);
  }
  console.log(`[gen-demo-models] done in ${(performance.now() - t0).toFixed(0)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));

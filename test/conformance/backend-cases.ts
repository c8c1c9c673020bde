// Reads the ONNX backend suite's node/ cases: model.onnx + test_data_set_0/{input,output}_N.pb.
// input_N.pb feeds the N-th graph input that is not an initializer, output_N.pb is the expected
// value of the N-th graph output (the ONNX backend runner's convention); a name stored in the
// .pb wins when it names a graph value.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { RuntimeTensor } from '../../src/runtime/types.js';
import { decodeTensorProto, UnsupportedTensorError } from './tensor-proto.js';

const { onnx } = onnxProto;

export interface BackendCase {
  name: string;
  modelBytes: Uint8Array;
  inputs: Record<string, RuntimeTensor>;
  expected: Record<string, RuntimeTensor>;
}

/** A case the harness cannot hand to the reference at all; `reason` goes to known-failures. */
export interface UnrunnableCase { name: string; reason: string }

/** Case directory names under `nodeDir`, sorted, each with a test_data_set_0. */
export function listCases(nodeDir: string): string[] {
  return readdirSync(nodeDir)
    .filter((n) => n.startsWith('test_') && existsSync(join(nodeDir, n, 'test_data_set_0')))
    .sort();
}

interface GraphValue { name: string; kind: string }

function valueKind(type: OnnxTypes.ITypeProto | null | undefined): string {
  if (!type) return 'untyped';
  if (type.tensorType) return 'tensor';
  if (type.sequenceType) return 'sequence';
  if (type.optionalType) return 'optional';
  if (type.mapType) return 'map';
  if (type.sparseTensorType) return 'sparse tensor';
  return 'unknown';
}

function graphValues(modelBytes: Uint8Array): { inputs: GraphValue[]; outputs: GraphValue[] } {
  const graph = onnx.ModelProto.decode(modelBytes).graph;
  if (!graph) throw new Error('model has no graph');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const toValue = (v: OnnxTypes.IValueInfoProto): GraphValue => ({ name: v.name ?? '', kind: valueKind(v.type) });
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(toValue),
    outputs: (graph.output ?? []).map(toValue),
  };
}

function numberedFiles(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)));
}

/**
 * Binds each .pb file to its graph value and decodes it. A non-tensor value (sequence,
 * optional, map) or a tensor type the reference lacks (bfloat16, complex) makes the case
 * unrunnable: onnxruntime-node has no way to feed or return it.
 */
function readValues(
  dir: string, prefix: 'input_' | 'output_', graph: GraphValue[], what: string,
): Record<string, RuntimeTensor> | string {
  const out: Record<string, RuntimeTensor> = {};
  const files = numberedFiles(dir, prefix);
  for (const [i, file] of files.entries()) {
    const value = graph[i];
    if (value && value.kind !== 'tensor') return `${what} '${value.name}' is ${value.kind === 'optional' ? 'an' : 'a'} ${value.kind}, not a tensor: not supported by onnxruntime-node`;
    let decoded;
    try {
      decoded = decodeTensorProto(readFileSync(join(dir, file)));
    } catch (err) {
      if (err instanceof UnsupportedTensorError) return `${what} ${value ? `'${value.name}'` : file}: ${err.message}`;
      throw err;
    }
    const name = graph.some((v) => v.name === decoded.name) ? decoded.name : value?.name;
    if (name === undefined) return `${file} has no matching graph ${what}`;
    out[name] = decoded.tensor;
  }
  return out;
}

/** Reads one case; returns an UnrunnableCase when the reference cannot even be fed. */
export function readCase(nodeDir: string, name: string): BackendCase | UnrunnableCase {
  const caseDir = join(nodeDir, name);
  const dataDir = join(caseDir, 'test_data_set_0');
  const modelBytes = new Uint8Array(readFileSync(join(caseDir, 'model.onnx')));
  const graph = graphValues(modelBytes);
  const inputs = readValues(dataDir, 'input_', graph.inputs, 'input');
  if (typeof inputs === 'string') return { name, reason: inputs };
  const expected = readValues(dataDir, 'output_', graph.outputs, 'output');
  if (typeof expected === 'string') return { name, reason: expected };
  return { name, modelBytes, inputs, expected };
}

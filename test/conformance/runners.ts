// The two engines the conformance test drives over the same cases: onnxruntime-node (the
// reference) and infergate's addon through its facade. Both load from bytes, run once, release.
// Single-threaded sessions: the suite is ~1,000 tiny models and the machine has 2 shared cores.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { OrtDType, RuntimeTensor, TensorData } from '../../src/runtime/types.js';

export interface CaseRunner {
  readonly label: string;
  /** Loads `model`, runs it once on `inputs`, returns the requested outputs, releases the model. */
  runOnce(model: Uint8Array, inputs: Record<string, RuntimeTensor>, outputNames: string[]): Promise<Record<string, RuntimeTensor>>;
}

/** First line of an error message: enough to identify the cause, stable across runs. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

export const ortReference: CaseRunner = {
  label: `onnxruntime-node ${ort.env.versions.common}`,
  async runOnce(model, inputs, outputNames) {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 4,
    });
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(inputs)) {
        feeds[name] = new ort.Tensor(t.dtype, t.data as never, Array.from(t.shape));
      }
      const results = await session.run(feeds, outputNames);
      const out: Record<string, RuntimeTensor> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = { dtype: t.type as OrtDType, shape: Array.from(t.dims), data: t.data as TensorData };
      }
      return out;
    } finally {
      await session.release();
    }
  },
};

/** The facade's surface this test relies on (see src/runtime/index.ts). */
interface FacadeSession {
  run(inputs: Record<string, RuntimeTensor>, options?: { outputs?: string[] }): Promise<Record<string, RuntimeTensor>>;
  unload(): unknown;
}
interface FacadeModule {
  Session: { load(model: string | Uint8Array, options?: Record<string, unknown>): FacadeSession | Promise<FacadeSession> };
}

export const ADDON_PATH = fileURLToPath(new URL('../../../build/Release/infergate_native.node', import.meta.url));

/**
 * Imports the facade at run time (not statically) so this harness compiles and its reference
 * half works before the addon exists. Throws with what is missing when it cannot be loaded.
 */
export async function loadAddonRunner(): Promise<CaseRunner> {
  if (!existsSync(ADDON_PATH)) throw new Error(`addon not built: ${ADDON_PATH} does not exist`);
  const facadeUrl = new URL('../../src/runtime/index.js', import.meta.url).href;
  const facade = (await import(facadeUrl)) as FacadeModule;
  return {
    label: 'infergate addon',
    async runOnce(model, inputs, outputNames) {
      const session = await facade.Session.load(model, { intraOpThreads: 1, interOpThreads: 1 });
      try {
        return await session.run(inputs, { outputs: outputNames });
      } finally {
        await session.unload();
      }
    },
  };
}

// The typed facade over the native ONNX Runtime addon (build/Release/infergate_native.node).
// This is the only module that loads the .node file; everything else imports from here.
//
// Sessions are shared process-wide: Session.load() of the same model with the same options, from
// any thread (main or worker), returns a new handle onto ONE native ORT session, counted in
// registryStats(). Each handle holds one reference until unload() (or until it is
// garbage-collected, or its worker ends).
//
// Errors thrown (or, for run/loadAsync, rejected) carry a stable `code` from the error
// catalogue (src/protocol/errors.ts) and have one of three classes:
//   TypeError  - wrong JS type: not a typed array, wrong typed-array class for the dtype, a
//                non-string in a string tensor, a dtype that differs from the model's
//                (IG_BAD_TENSOR, IG_DTYPE_MISMATCH, IG_BAD_REQUEST)
//   RangeError - bad value: unknown input/output name (IG_UNKNOWN_INPUT / IG_UNKNOWN_OUTPUT),
//                missing input (IG_MISSING_INPUT), rank or fixed-dim mismatch (IG_SHAPE_MISMATCH),
//                negative dims or byte length != product(shape) * dtype size (IG_BAD_TENSOR)
//   Error      - lifecycle and ONNX Runtime failures: use after unload (IG_MODEL_NOT_READY),
//                missing/corrupt model file or unavailable provider (IG_MODEL_LOAD_FAILED, with
//                ORT's message and the file name), a failure inside ORT's Run (IG_INFERENCE_FAILED)
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type {
  LoadOptions, ModelDescription, RegistryStats, RunOptions, RuntimeTensor,
} from './types.js';

export type * from './types.js';

interface NativeSession {
  readonly key: string;
  describe(): ModelDescription;
  run(inputs: Record<string, RuntimeTensor>, opts?: RunOptions): Promise<Record<string, RuntimeTensor>>;
  runSync(inputs: Record<string, RuntimeTensor>, opts?: RunOptions): Record<string, RuntimeTensor>;
  unload(): void;
}

interface NativeModule {
  Session: {
    load(source: string | Uint8Array, options?: LoadOptions): NativeSession;
    loadAsync(source: string | Uint8Array, options?: LoadOptions): Promise<NativeSession>;
  };
  registryStats(): RegistryStats;
  availableProviders(): string[];
  ortVersion(): string;
  ortApiVersion: number;
  idleSpinStart(threads: number, windowUs: number): void;
  idleSpinTouch(): void;
  idleSpinStop(): void;
  idleSpinStats(): IdleSpinStats;
  setThreadName(name: string): boolean;
}

/** Idle spinners (native/idle_spin.h): process-wide, whichever thread asks. */
export interface IdleSpinStats {
  /** Spinner threads running. */
  threads: number;
  /** Of which blocked: no touch for a whole window. */
  sleeping: number;
  windowUs: number;
  /** idleSpin.touch() calls so far (process lifetime). */
  touches: number;
  /** Thread time spent spinning, all spinners together (process lifetime). */
  spinSeconds: number;
  /** How low the threads run: 'sched_idle' (Linux), 'nice19', 'normal'; '' when none run. */
  policy: string;
}

/** Where the build puts the addon (dist/src/runtime/index.js -> <root>/build/Release). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../../build/Release/infergate_native.node', import.meta.url));

let loaded: NativeModule | undefined;

// Loaded on first use, so modules that import the facade only for types or for code paths that
// never run a model still work where the addon has not been built.
function native(): NativeModule {
  if (loaded === undefined) {
    if (!existsSync(NATIVE_ADDON_PATH)) {
      throw new Error(`infergate native addon not built (${NATIVE_ADDON_PATH} is missing): run \`node scripts/build-native.mjs\``);
    }
    loaded = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeModule;
  }
  return loaded;
}

/** A handle onto a shared, process-wide ONNX Runtime session. */
export class Session {
  readonly #native: NativeSession;

  private constructor(handle: NativeSession) {
    this.#native = handle;
  }

  /** Loads (or shares) a session, synchronously: meant for worker start-up.
   *  `source` is a file path or the model's bytes (read during the call only). */
  static load(source: string | Uint8Array, options?: LoadOptions): Session {
    return new Session(native().Session.load(source, options));
  }

  /** Like load(), but the session is created on a libuv thread; bytes stay referenced until then. */
  static async loadAsync(source: string | Uint8Array, options?: LoadOptions): Promise<Session> {
    return new Session(await native().Session.loadAsync(source, options));
  }

  /** Registry key: "<realpath or options.key or bytes hash>?<canonical options>". */
  get key(): string {
    return this.#native.key;
  }

  /** Inputs/outputs (dtype, shape with -1 for dynamic dims, dim names) and providers in use. */
  describe(): ModelDescription {
    return this.#native.describe();
  }

  /** Runs on a libuv worker thread; the JS thread stays free. Input typed arrays are used in
   *  place (no copy): the caller must not write, transfer or detach them until the promise
   *  settles. Never throws synchronously: bad input rejects the promise. */
  run(inputs: Record<string, RuntimeTensor>, opts?: RunOptions): Promise<Record<string, RuntimeTensor>> {
    return this.#native.run(inputs, opts);
  }

  /** Same as run(), on the calling thread (for Piscina workers, where blocking is fine). */
  runSync(inputs: Record<string, RuntimeTensor>, opts?: RunOptions): Record<string, RuntimeTensor> {
    return this.#native.runSync(inputs, opts);
  }

  /** Drops this handle's reference (idempotent). Other methods then throw an Error. A run in
   *  flight finishes normally; the ORT session is destroyed when its last reference goes. */
  unload(): void {
    this.#native.unload();
  }
}

/** Process-wide: live ORT sessions (all threads) and references per registry key. */
export function registryStats(): RegistryStats {
  return native().registryStats();
}

/** Execution providers compiled into the linked ONNX Runtime (Ort::GetAvailableProviders). */
export function availableProviders(): string[] {
  return native().availableProviders();
}

/** Names the calling thread (Linux: /proc/<pid>/task/<tid>/comm, `top -H`), so that the
 *  server's CPU can be split by what each thread does (native/thread_name.h lists the names).
 *  False where the platform has no thread names. TypeError for a non-string, RangeError for a
 *  name of more than 15 bytes. */
export function setThreadName(name: string): boolean {
  return native().setThreadName(name);
}

/** Version of the ONNX Runtime library the addon runs on (e.g. "1.30.0"). */
export function ortVersion(): string {
  return native().ortVersion();
}

/** Idle spinners: threads at the lowest scheduling class that keep a VM's CPUs from halting
 *  for `windowUs` after each touch(), so wake-ups stay fast at low load while anything else
 *  runnable preempts them (see native/idle_spin.h for the measurements). Process-wide. */
export const idleSpin = {
  /** Starts `threads` spinners (0 = stop), replacing any running set. RangeError/TypeError on
   *  bad arguments (threads 0..256, windowUs 1..10,000,000). */
  start(threads: number, windowUs: number): void {
    native().idleSpinStart(threads, windowUs);
  },
  /** Marks activity; costs an atomic add unless a spinner sleeps. */
  touch(): void {
    native().idleSpinTouch();
  },
  stop(): void {
    native().idleSpinStop();
  },
  stats(): IdleSpinStats {
    return native().idleSpinStats();
  },
};

// One model version's request path, in the order a request takes it:
//   validate (validate.ts) -> concurrency gate (concurrency-gate.ts, when configured) -> admit + batch (src/batching DynamicBatcher) -> execute
//   (assemble rows into pooled shared memory -> BatchExecutor.run -> slice outputs per request)
//   -> the request's InferResponse.
// Lifecycle (opening the session, warm-up, unload) is src/repository/model-version.ts's job; this
// class only serves requests once it exists, and refuses them once closed.
//
// Buffer ownership: a request's tensors stay the caller's (views into its body) until its
// promise settles. Batched inputs are copied into SabPool buffers that the batch owns until the
// executor's result arrives (then released); output bytes are fresh buffers owned by the caller.
import { performance } from 'node:perf_hooks';
import { err, toInferError } from '../core/errors.js';
import { ortToKserve, packBytes } from '../core/datatypes.js';
import type { TensorMetadata } from '../core/service.js';
import type { CancelSignal, InferRequest, InferResponse, WireTensor } from '../core/types.js';
import {
  assembleBatch, batchSignature, DynamicBatcher, SabPool, sliceOutputs,
  type Batch, type BatcherOptions, type BatchResult, type Clock, type ItemResult, type OutputTensor,
} from '../batching/index.js';
import type { ModelRef } from '../pool/task.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { BatchExecutor } from './executor.js';
import { toTaskTensor, unbatchedInputs } from './task-tensors.js';
import { validateRequest, type ValidatedRequest, type ValidationModel } from './validate.js';
import type { ModelStats } from './model-stats.js';
import { ConcurrencyGate, type GateConfig } from './concurrency-gate.js';

/** What the pipeline knows of its model version: fixed once the version is loaded. */
export interface PipelineSpec {
  name: string;
  version: string;
  ref: ModelRef;
  inputs: readonly TensorMetadata[];
  outputs: readonly TensorMetadata[];
  /** 0 = no batching: each request runs alone with its own shapes. */
  maxBatchSize: number;
  /** The model's dynamic_batching settings (maxBatchSize is taken from above). */
  batching: Partial<BatcherOptions>;
  /** The model's concurrency_limit; absent or mode 'off' = no gate. */
  concurrency?: GateConfig;
}

export interface PipelineDeps {
  executor: BatchExecutor;
  metrics: GatewayMetrics;
  sabPool: SabPool;
  /** Triton-style per-version statistics, fed per request and per batch. */
  stats?: ModelStats;
  /** For tests: the batcher's clock and its once-per-turn hook (default setImmediate). */
  clock?: Clock;
  defer?: (fn: () => void) => void;
}

const epochUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

export class ModelPipeline {
  readonly spec: PipelineSpec;
  /** Frozen: the metrics layer caches its formatted key by identity. */
  readonly labels: Readonly<{ model: string; version: string }>;
  readonly #deps: PipelineDeps;
  readonly #batcher: DynamicBatcher<ValidatedRequest>;
  readonly #validation: ValidationModel;
  /** Undefined when the model has no concurrency limit. */
  readonly gate: ConcurrencyGate | undefined;

  constructor(spec: PipelineSpec, deps: PipelineDeps) {
    this.spec = spec;
    this.#deps = deps;
    this.labels = Object.freeze({ model: spec.name, version: spec.version });
    this.#validation = { name: spec.name, inputs: spec.inputs, outputs: spec.outputs, outputNames: spec.outputs.map((o) => o.name), maxBatchSize: spec.maxBatchSize };
    const c = spec.concurrency;
    if (c !== undefined && c.mode !== 'off') {
      const clock = deps.clock;
      this.gate = new ConcurrencyGate({ ...c, mode: c.mode }, {
        nowUs: clock ? () => clock.nowUs() : () => performance.now() * 1000,
        retryAfterS: spec.batching.retryAfterS ?? 1,
        label: `model "${spec.name}" version ${spec.version}`,
        batchRows: spec.maxBatchSize,
      });
    }
    const executor = deps.executor;
    this.#batcher = new DynamicBatcher<ValidatedRequest>({
      options: { ...spec.batching, maxBatchSize: spec.maxBatchSize },
      execute: (batch) => this.#execute(batch),
      idleWorkers: () => executor.idleWorkers(),
      ...(executor.inlineMaxRows ? { inlineMaxRows: () => executor.inlineMaxRows!(spec.ref) } : {}),
      onWorkerFree: (l) => executor.onFree(l),
      // One dispatch decision per event-loop turn: see docs/decisions/002.
      defer: deps.defer ?? ((fn) => setImmediate(fn)),
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
  }

  get counters() {
    return this.#batcher.counters;
  }

  /** The batcher's learned batch cost (deadline-aware batching); undefined until learned. */
  get cost() {
    return this.#batcher.cost.estimate();
  }

  /** Validates, queues and answers one request. Rejects with an InferError. `onRan` hears how
   *  it ran (queue and compute time, its batch's rows), for its trace span. `arrivalUs` (the
   *  gate's clock) is when the transport received its head: the concurrency limit's latency
   *  samples start there, so that the time its body waited to be read counts (under overload
   *  the thread that reads bodies is the one that is late). */
  async infer(req: InferRequest, signal: CancelSignal | undefined, deadlineUs: number, onRan?: (r: ItemResult) => void,
    arrivalUs?: number): Promise<InferResponse> {
    const s = this.spec;
    const v = validateRequest(req, this.#validation);
    const executor = this.#deps.executor;
    const gate = this.gate;
    // Throws IG_CONCURRENCY_LIMIT at once when the limit is reached: nothing is queued.
    const admittedUs = gate ? gate.acquire(v.rows) : 0;
    const sampleStartUs = arrivalUs !== undefined && arrivalUs < admittedUs ? arrivalUs : admittedUs;
    executor.noteArrival(s.ref);
    let result;
    let ok = false;
    try {
      result = await this.#batcher.submit({
        rows: v.rows,
        signature: s.maxBatchSize > 0 ? batchSignature(v.inputs) : '',
        payload: v,
        priority: req.priority,
        deadlineUs,
        signal,
        unbatchable: s.maxBatchSize === 0,
      });
      ok = true;
    } finally {
      v.settled = true; // its body may be another's from now on (see #execute)
      executor.noteDone();
      gate?.release(admittedUs, v.rows, ok, sampleStartUs);
    }
    onRan?.(result);
    this.#deps.metrics.queueDuration.observe(this.labels, result.queueUs);
    this.#deps.stats?.completed(result.queueUs, v.rows);
    const outputs: WireTensor[] = [];
    for (const name of v.outputs) {
      const o = result.outputs[name];
      if (!o) throw err('IG_INFERENCE_FAILED', `model "${s.name}" produced no output "${name}"`);
      const meta = s.outputs.find((m) => m.name === name)!;
      outputs.push({ name, datatype: o.datatype ?? (meta.datatype as WireTensor['datatype']), shape: [...o.shape], data: o.bytes });
    }
    return { modelName: s.name, modelVersion: s.version, id: req.id, outputs };
  }

  /** Refuses new requests (IG_SHUTTING_DOWN); resolves once queued and running ones finished. */
  close(): Promise<void> {
    return this.#batcher.close();
  }

  async #execute(batch: Batch<ValidatedRequest>): Promise<BatchResult> {
    try {
      return await this.#run(batch.entries, batch.rows);
    } catch (e) {
      // A worker that died is not the data's fault, and rerunning a batch that may have killed
      // it could kill another: every request of the batch gets IG_WORKER_EXITED.
      if (batch.entries.length === 1 || toInferError(e).code === 'IG_WORKER_EXITED') throw e;
      // One request's data can break a whole batch (an out-of-range embedding id, say). Run
      // each entry alone so that only the culprit fails and the others lose nothing.
      // A request cancelled while the batch ran is settled, and its body's buffer may hold
      // another request's bytes by now (src/server/body.ts): it is not run again.
      const outputs = await Promise.all(batch.entries.map((entry) => (entry.payload.settled
        ? err('IG_CANCELLED', 'the client cancelled the request')
        : this.#run([entry], entry.rows).then((r) => r.outputs[0]!, (ee: unknown) => toInferError(ee)))));
      return { outputs };
    }
  }

  async #run(entries: Batch<ValidatedRequest>['entries'], rows: number): Promise<BatchResult> {
    const { executor, metrics, sabPool } = this.#deps;
    const unbatched = this.spec.maxBatchSize === 0;
    const assembleStartUs = epochUs();
    const assembled = unbatched
      ? unbatchedInputs(entries[0]!.payload.inputs)
      : assembleBatch(entries.map((e) => ({ inputs: e.payload.inputs, rowStart: e.rowStart, rows: e.rows })), sabPool);
    try {
      const sentUs = epochUs();
      const result = await executor.run({ kind: 'run', model: this.spec.ref, inputs: assembled.inputs.map(toTaskTensor), outputs: [] }, rows);
      const doneUs = epochUs();
      const computeUs = result.endUs - result.startUs;
      metrics.computeDuration.observe(this.labels, computeUs);
      if (result.inline) metrics.inlineBatches.inc(this.labels);
      else metrics.hopDuration.observe(this.labels, Math.max(0, doneUs - sentUs - computeUs));
      metrics.batchSize.observe(this.labels, rows);
      metrics.batchRequests.observe(this.labels, entries.length);
      metrics.rowsTotal.inc(this.labels, rows);
      const batchOutputs: Record<string, OutputTensor> = {};
      for (const o of result.outputs) {
        const bytes = o.strings !== undefined ? packBytes(o.strings) : new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
        batchOutputs[o.name] = { datatype: ortToKserve(o.dtype), shape: o.shape, bytes };
      }
      const outputs = unbatched ? [batchOutputs] : sliceOutputs(batchOutputs, entries.map((e) => e.rows));
      this.#deps.stats?.execution(rows, entries.length, Math.max(0, result.startUs - assembleStartUs), computeUs, Math.max(0, epochUs() - result.endUs));
      return { outputs };
    } catch (e) {
      // The addon's catalogue code (a shape the model refused, say) reaches the wire as it is;
      // a run failure, or an error without a code, is this model's inference failure.
      const ie = toInferError(e);
      if (ie.code !== 'IG_INTERNAL' && ie.code !== 'IG_INFERENCE_FAILED') throw ie;
      throw err('IG_INFERENCE_FAILED', `model "${this.spec.name}": ${ie.message}`, { cause: e });
    } finally {
      assembled.release();
    }
  }
}

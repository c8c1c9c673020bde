// Per model version statistics in the shape of Triton's statistics extension
// (GET /v2/models[/{m}[/versions/{v}]]/stats). Plain number counters, bumped where a request or
// a batch finishes: nothing is allocated per request; a batch size seen for the first time adds
// one entry to batch_stats. Durations are kept in microseconds (what the pool reports) and
// turned into the extension's nanoseconds when rendered.
//
// The phases of one batch partition its time (see ModelPipeline.#run):
//   compute_input  = from the start of input assembly to the start of the ORT run (includes the
//                    hop to a worker), compute_infer = the ORT run,
//   compute_output = from the end of the ORT run to the outputs sliced per request.
// As in Triton, every request in a batch is charged its batch's phase durations in
// inference_stats; batch_stats counts executions.

import type { DurationStat, ModelStatistics } from '../core/service.js';

class Duration {
  count = 0;
  us = 0;
  add(us: number, times = 1): void {
    this.count += times;
    this.us += us * times;
  }
  render(): DurationStat {
    return { count: this.count, ns: Math.round(this.us * 1000) };
  }
}

class BatchDurations {
  readonly input = new Duration();
  readonly infer = new Duration();
  readonly output = new Duration();
}

export class ModelStats {
  lastInferenceMs = 0;
  inferenceCount = 0;
  executionCount = 0;
  readonly #success = new Duration();
  readonly #fail = new Duration();
  readonly #queue = new Duration();
  readonly #phases = new BatchDurations();
  readonly #bySize = new Map<number, BatchDurations>();

  /** The model answered a request (the host): its queue time; `inferences` is its rows (1
   *  without batching). */
  completed(queueUs: number, inferences: number): void {
    this.inferenceCount += inferences;
    this.#queue.add(queueUs);
  }

  /** A request ended (the manager, which knows its arrival): arrival to answer. */
  success(totalUs: number): void {
    this.lastInferenceMs = Date.now();
    this.#success.add(totalUs);
  }

  fail(totalUs: number): void {
    this.lastInferenceMs = Date.now();
    this.#fail.add(totalUs);
  }

  /** One successful model execution of `batchSize` rows that served `requests` requests. */
  execution(batchSize: number, requests: number, inputUs: number, inferUs: number, outputUs: number): void {
    this.executionCount++;
    this.#phases.input.add(inputUs, requests);
    this.#phases.infer.add(inferUs, requests);
    this.#phases.output.add(outputUs, requests);
    let b = this.#bySize.get(batchSize);
    if (!b) this.#bySize.set(batchSize, (b = new BatchDurations()));
    b.input.add(inputUs);
    b.infer.add(inferUs);
    b.output.add(outputUs);
  }

  render(name: string, version: string): ModelStatistics {
    return {
      name,
      version,
      last_inference: Math.round(this.lastInferenceMs),
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: this.#success.render(),
        fail: this.#fail.render(),
        queue: this.#queue.render(),
        compute_input: this.#phases.input.render(),
        compute_infer: this.#phases.infer.render(),
        compute_output: this.#phases.output.render(),
      },
      batch_stats: [...this.#bySize].sort(([a], [b]) => a - b).map(([size, d]) => ({
        batch_size: size,
        compute_input: d.input.render(),
        compute_infer: d.infer.render(),
        compute_output: d.output.render(),
      })),
    };
  }
}

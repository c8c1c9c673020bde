// The gateway's metric set, in one place so names stay stable (dashboards and the bench suite
// read them). Latencies in microseconds; batch sizes in rows.
import { Registry } from './metrics.js';
import { registerProcessMetrics } from './process-metrics.js';

// Bucket bounds resolve the stage each histogram times (see docs/decisions/014): the wire stages
// take a few microseconds, so their buckets start at 1 us; request, queue, compute and hop
// buckets start at 5 us and reach 1 s, fine where the alert thresholds sit (0.1-10 ms).
const WIRE_BUCKETS_US = [1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000, 5000, 20000];
const LATENCY_BUCKETS_US = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500,
  10000, 20000, 50000, 100000, 250000, 500000, 1000000];
const ABS_DIFF_BUCKETS = [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10];
const RANK_CORRELATION_BUCKETS = [-0.5, 0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1];
const BATCH_BUCKETS_ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export function createGatewayMetrics() {
  const registry = new Registry();
  registerProcessMetrics(registry);
  return {
    registry,
    requestSuccess: registry.counter('infergate_request_success_total', 'Inference requests answered successfully'),
    requestFailure: registry.counter('infergate_request_failure_total', 'Inference requests answered with an error, by code'),
    requestDuration: registry.histogram('infergate_request_duration_us', 'Arrival to response, microseconds', LATENCY_BUCKETS_US),
    // The wire stages, by format, so the 1-in-flight breakdown shows every step: reading the
    // body (HTTP only), decoding it, and encoding the answer.
    bodyReadDuration: registry.histogram('infergate_body_read_duration_us', 'Arrival to whole body read (HTTP), microseconds', WIRE_BUCKETS_US),
    decodeDuration: registry.histogram('infergate_decode_duration_us', 'Request decoding (FlatBuffers, JSON or binary extension), microseconds', WIRE_BUCKETS_US),
    encodeDuration: registry.histogram('infergate_encode_duration_us', 'Response encoding, microseconds', WIRE_BUCKETS_US),
    queueDuration: registry.histogram('infergate_queue_duration_us', 'Arrival to batch dispatch, microseconds', LATENCY_BUCKETS_US),
    computeDuration: registry.histogram('infergate_compute_duration_us', 'ONNX Runtime run per batch (worker or inline), microseconds', LATENCY_BUCKETS_US),
    hopDuration: registry.histogram('infergate_worker_hop_duration_us', 'Dispatch to result minus compute (thread hop both ways), per batch run in a worker, microseconds', LATENCY_BUCKETS_US),
    // Small batches of fast models run on the HTTP thread at any load (see docs/decisions/001).
    inlineBatches: registry.counter('infergate_inline_batches_total', 'Batches run on the HTTP thread (no worker hop)'),
    // Idle spinners (native/idle_spin.h) show as process CPU; these say how much of it is theirs.
    idleSpinSeconds: registry.counter('infergate_idle_spin_seconds_total', 'CPU time the idle spinners (SCHED_IDLE, preempted by any other thread) spent spinning, seconds'),
    idleSpinThreads: registry.gauge('infergate_idle_spin_threads', 'Idle spinner threads running (0 = off)'),
    batchSize: registry.histogram('infergate_batch_size', 'Rows per executed batch', BATCH_BUCKETS_ROWS),
    batchRequests: registry.histogram('infergate_batch_requests', 'Requests per executed batch', BATCH_BUCKETS_ROWS),
    rowsTotal: registry.counter('infergate_rows_total', 'Rows (candidate items) computed'),
    expired: registry.counter('infergate_request_expired_total', 'Requests whose deadline passed while queued (never computed)'),
    cancelled: registry.counter('infergate_request_cancelled_total', 'Requests dropped because the client went away'),
    shed: registry.counter('infergate_request_shed_total', 'Requests refused because the queue was full'),
    queueDepth: registry.gauge('infergate_queue_depth', 'Requests waiting in the batcher queue'),
    // What deadline-aware batching charges a batch (src/batching/cost-model.ts): expected
    // dispatch-to-finish = fixed + per row x rows; 0 until a model has finished a few batches.
    batchCostFixedUs: registry.gauge('infergate_batch_cost_fixed_us', 'Learned cost of a batch, fixed part (dispatch to finish), microseconds'),
    batchCostPerRowUs: registry.gauge('infergate_batch_cost_per_row_us', 'Learned cost of a batch, per-row part (dispatch to finish), microseconds'),
    inFlightBatches: registry.gauge('infergate_inflight_batches', 'Batches running in workers'),
    // The concurrency gate (config.json concurrency_limit), per model version that has one.
    concurrencyLimit: registry.gauge('infergate_concurrency_limit', 'Work a model version admits at once, in batches of max_batch_size rows (its current concurrency limit)'),
    concurrencyInFlight: registry.gauge('infergate_concurrency_in_flight', 'Requests admitted by the concurrency gate and not yet answered'),
    concurrencyRefused: registry.counter('infergate_concurrency_refused_total', 'Requests refused at once by the concurrency limit (429 IG_CONCURRENCY_LIMIT)'),
    // Shadow traffic (config.json routing.shadow): labels model + the shadow's version, and for
    // the comparison the live and the shadow version.
    shadowDuration: registry.histogram('infergate_shadow_duration_us', 'Shadow request, dispatch to answer (answer dropped), microseconds', LATENCY_BUCKETS_US),
    shadowFailure: registry.counter('infergate_shadow_failure_total', 'Shadow requests that failed, by code (the live answer is never affected)'),
    shadowSkipped: registry.counter('infergate_shadow_skipped_total', 'Live requests not copied to the shadow because too many shadow requests were in flight'),
    shadowAbsDiff: registry.histogram('infergate_shadow_score_abs_diff', 'Absolute difference between live and shadow output values, per element', ABS_DIFF_BUCKETS),
    shadowRankCorrelation: registry.histogram('infergate_shadow_rank_correlation', 'Spearman rank correlation of live and shadow scores, per request of >= 10 rows', RANK_CORRELATION_BUCKETS),
    modelReady: registry.gauge('infergate_model_ready', '1 when the model version is ready'),
    logFailures: registry.counter('infergate_log_failures_total', 'Error-answer log lines that could not be written (the answer was still sent)'),
    // Leak checks: both return to 0 when nothing is in flight (test/server/faults.test.ts).
    batchBuffers: registry.gauge('infergate_batch_buffers_checked_out', 'Shared input buffers held by batches (0 when idle)'),
    bodyBuffers: registry.gauge('infergate_body_buffers_checked_out', 'Pooled request body buffers held by HTTP exchanges not yet answered (0 when idle)'),
    workerExits: registry.counter('infergate_worker_exits_total', 'Worker threads that died and were replaced'),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

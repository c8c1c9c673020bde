// The gateway's metric set, in one place so names stay stable (dashboards and the bench suite
// read them). Latencies in microseconds; batch sizes in rows.
import { Registry } from './metrics.js';

const LATENCY_BUCKETS_US = [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 50000, 100000, 500000];
const BATCH_BUCKETS_ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export function createGatewayMetrics() {
  const registry = new Registry();
  return {
    registry,
    requestSuccess: registry.counter('infergate_request_success_total', 'Inference requests answered successfully'),
    requestFailure: registry.counter('infergate_request_failure_total', 'Inference requests answered with an error, by code'),
    requestDuration: registry.histogram('infergate_request_duration_us', 'Arrival to response, microseconds', LATENCY_BUCKETS_US),
    // The wire stages, by format, so the 1-in-flight breakdown shows every step: reading the
    // body (HTTP only), decoding it, and encoding the answer.
    bodyReadDuration: registry.histogram('infergate_body_read_duration_us', 'Arrival to whole body read (HTTP), microseconds', LATENCY_BUCKETS_US),
    decodeDuration: registry.histogram('infergate_decode_duration_us', 'Request decoding (FlatBuffers, JSON or binary extension), microseconds', LATENCY_BUCKETS_US),
    encodeDuration: registry.histogram('infergate_encode_duration_us', 'Response encoding, microseconds', LATENCY_BUCKETS_US),
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
    inFlightBatches: registry.gauge('infergate_inflight_batches', 'Batches running in workers'),
    modelReady: registry.gauge('infergate_model_ready', '1 when the model version is ready'),
    // Leak checks: both return to 0 when nothing is in flight (test/server/faults.test.ts).
    batchBuffers: registry.gauge('infergate_batch_buffers_checked_out', 'Shared input buffers held by batches (0 when idle)'),
    workerExits: registry.counter('infergate_worker_exits_total', 'Worker threads that died and were replaced'),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

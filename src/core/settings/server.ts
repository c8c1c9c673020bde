// Server-wide settings of `infergate serve`: the listener, the worker pool and the event loop's
// spinning. None of them exists per model, so none has a config.json name.
import { defineTable } from './types.js';

/** One contiguous Buffer per body: anything past 2 GiB is never a sensible request. */
const MAX_BODY_LIMIT = 2 * 1024 * 1024 * 1024;
const UP_TO_A_MILLION = { type: 'int', min: 0, max: 1_000_000 } as const;

export const SERVER_SETTINGS = defineTable('server', {
  modelRepository: {
    flag: 'model-repository', arg: 'DIR', kind: { type: 'path' }, default: undefined as string | undefined, defaultText: '(required)', unit: '',
    help: 'Model repository: DIR/<model>/<version>/model.onnx, optional DIR/<model>/config.json.',
  },
  host: {
    flag: 'host', arg: 'HOST', kind: { type: 'string' }, default: '127.0.0.1', unit: '',
    help: 'Address to listen on (0.0.0.0 or :: for every interface).',
  },
  port: {
    flag: 'port', arg: 'PORT', kind: { type: 'int', min: 0, max: 65535 }, default: 8000, unit: '',
    help: 'HTTP and WebSocket port (0 = any free port).',
  },
  healthPort: {
    flag: 'health-port', arg: 'PORT', kind: { type: 'int', min: 0, max: 65535 }, default: undefined as number | undefined, defaultText: '(off)', unit: '',
    help: 'Also answer /v2/health/{live,ready} on this port over Node\'s HTTP parser, which speaks HTTP/1.0 (HAProxy option httpchk); the main port cannot.',
  },
  workers: {
    flag: 'workers', kind: { type: 'int', min: 1, max: 256 }, default: undefined as number | undefined, defaultText: 'CPU cores (capped by the CPU quota)', unit: 'threads', decision: '007',
    help: 'Inference worker threads, each with its own ORT thread pool (see --intra-op-threads).',
  },
  spinUs: {
    flag: 'spin-us', kind: UP_TO_A_MILLION, default: 0, unit: 'us', decision: '009',
    help: 'After activity, poll instead of sleeping this long on the HTTP thread and in workers; only where cores are spare. 0 = never.',
  },
  spinInFlight: {
    flag: 'spin-in-flight', kind: { type: 'bool' }, default: true, unit: '', decision: '005',
    help: 'The HTTP thread polls instead of sleeping while a small batch (<= 64 rows) runs in a worker.',
  },
  inlineMaxRows: {
    flag: 'inline-max-rows', kind: UP_TO_A_MILLION, default: 64, unit: 'rows', decision: '001',
    help: 'Batches of at most N rows run on the HTTP thread, skipping the worker hop; larger ones go to the workers. 0 = always a worker.',
  },
  inlineMaxComputeUs: {
    flag: 'inline-max-compute-us', kind: UP_TO_A_MILLION, default: 200, unit: 'us', decision: '001',
    help: 'Models whose small batches take longer than this (moving average) never run on the HTTP thread.',
  },
  quietSpinUs: {
    flag: 'quiet-spin-us', kind: UP_TO_A_MILLION, default: 500, unit: 'us', decision: '004',
    help: 'After a batch ran on the HTTP thread, its event loop polls instead of sleeping this long; a worker batch ends it. 0 = never.',
  },
  idleSpinThreads: {
    flag: 'idle-spin-threads', kind: { type: 'int', min: 0, max: 256 }, default: 1, defaultText: '1 (0 on 1 core or under a CPU quota)',
    unit: 'threads', decision: '003',
    help: 'SCHED_IDLE threads that keep the CPUs from halting while requests come one at a time; they sleep under load. 0 = none.',
  },
  idleSpinWindowUs: {
    flag: 'idle-spin-window-us', kind: { type: 'int', min: 1, max: 10_000_000 }, default: 2000, unit: 'us', decision: '003',
    help: 'How long the idle spinners spin after the last arrival (and stay asleep after two requests overlapped).',
  },
  loneIntraOpThreads: {
    flag: 'lone-intra-op-threads', kind: { type: 'int', min: 0, max: 256 }, default: 0,
    unit: 'threads', decision: '018',
    help: 'Low-load latency: while requests come one at a time, small batches run on the HTTP thread with a second session of the model whose N (2 or more) ORT threads spin between runs; under load the shared session. p50 down, p99 up at 1 in flight (see the record). Models over 64 MiB, with their own intra-op threads, or past the 4th get none. 0 = off.',
  },
  maxBodyBytes: {
    flag: 'max-body-bytes', kind: { type: 'bytes', min: 1, max: MAX_BODY_LIMIT }, default: 64 * 1024 * 1024, unit: 'bytes',
    help: 'Largest request body (413 beyond); suffixes KiB, MiB, GiB. A 1,000-candidate ranker request is 0.5 MiB.',
  },
  modelControlMode: {
    flag: 'model-control-mode', arg: 'MODE', kind: { type: 'enum', values: ['none', 'explicit'] }, default: 'none' as 'none' | 'explicit', unit: '',
    help: 'none: load every model at start-up. explicit: also serve POST /v2/repository/{index,models/M/load,models/M/unload}.',
  },
  adminToken: {
    flag: 'admin-token', arg: 'TOKEN', kind: { type: 'string' }, default: undefined as string | undefined, unit: '',
    help: 'Bearer token that model control (load / unload) requires; needed with --model-control-mode explicit. Prefer the environment variable: flags show in ps.',
  },
  modelLoadThreads: {
    flag: 'model-load-threads', kind: { type: 'int', min: 1, max: 256 }, default: undefined as number | undefined,
    defaultText: 'CPU cores (at least 2)', unit: 'versions',
    help: 'Model versions that load (open and warm up) at once, as Triton\'s --model-load-thread-count.',
  },
  exitOnError: {
    flag: 'exit-on-error', kind: { type: 'bool' }, default: true, unit: '',
    help: 'Exit non-zero at start-up when any model fails to load (Triton\'s default); false serves the models that loaded.',
  },
  exitTimeoutS: {
    flag: 'exit-timeout-s', kind: { type: 'int', min: 1, max: 86_400 }, default: 30, unit: 's',
    help: 'On SIGTERM/SIGINT, exit once every request received is answered, or after this long at the latest (counted from the signal, never restarted).',
  },
  strictReadiness: {
    flag: 'strict-readiness', kind: { type: 'bool' }, default: false, unit: '',
    help: 'Report ready only while every model is READY; by default one ready model makes the server ready.',
  },
  defaultMaxBatchSize: {
    flag: 'default-max-batch-size', kind: { type: 'int', min: 0, max: 1_000_000 }, default: 1024, unit: 'rows', decision: '013',
    help: 'max_batch_size auto-complete gives a model that sets none and whose inputs and outputs all have a dynamic first dim (Triton\'s default-max-batch-size). 0 = never.',
  },
  disableAutoCompleteConfig: {
    flag: 'disable-auto-complete-config', kind: { type: 'bool' }, default: false, unit: '',
    help: 'Do not complete model configurations from the ONNX file: a model that sets no max_batch_size keeps 0 (no batching), as before auto-complete.',
  },
  logLevel: {
    flag: 'log-level', arg: 'LEVEL', kind: { type: 'enum', values: ['debug', 'info', 'warn', 'error', 'silent'] },
    default: 'info' as 'debug' | 'info' | 'warn' | 'error' | 'silent', unit: '',
    help: 'Least severe log lines written: debug adds every 4xx answer; info adds start-up, model loads and unloads; warn adds retryable 5xx; error is faults only.',
  },
  logFormat: {
    flag: 'log-format', arg: 'FORMAT', kind: { type: 'enum', values: ['auto', 'json', 'pretty'] },
    default: 'auto' as 'auto' | 'json' | 'pretty', unit: '',
    help: 'json: one JSON object per line on stderr (for collectors). pretty: one short line per event. auto: pretty when stderr is a terminal, else json.',
  },
  config: {
    flag: 'config', kind: { type: 'path' }, default: undefined as string | undefined, unit: '', inFile: false,
    help: 'JSON file of these options (camelCase or kebab-case keys).',
  },
  modelOverride: {
    flag: 'model-override', kind: { type: 'model-override' }, default: undefined as string[] | undefined, unit: '',
    help: 'Set a config.json key for one model, beating its config.json. Repeatable; in the environment separate entries with ";".',
  },
});


// The settings tables: one declarative table per group (server, batching, runtime, warm-up).
// Each row is the one statement of a setting (names, type and range, default, unit, help);
// the CLI, --help, config.json validation, the batcher, the README's table and the sweep's grid
// derive from them. A neutral module: it imports nothing outside this folder.
export * from './types.js';
export * from './server.js';
export * from './batching.js';
export * from './runtime.js';
export * from './concurrency.js';
export * from './limits.js';
export * from './decisions.js';
import { rowsOf, type Setting } from './types.js';
import { SERVER_SETTINGS } from './server.js';
import { BATCHING_SETTINGS } from './batching.js';
import { RUNTIME_SETTINGS, WARMUP_SETTINGS } from './runtime.js';
import { CONCURRENCY_SETTINGS } from './concurrency.js';
import { LIMIT_SETTINGS } from './limits.js';

/** Every row of every table, in table order (the order of --help and the README). */
export const ALL_SETTINGS: readonly Setting[] = Object.freeze([
  ...rowsOf(SERVER_SETTINGS), ...rowsOf(LIMIT_SETTINGS), ...rowsOf(BATCHING_SETTINGS), ...rowsOf(RUNTIME_SETTINGS), ...rowsOf(WARMUP_SETTINGS),
  ...rowsOf(CONCURRENCY_SETTINGS),
]);

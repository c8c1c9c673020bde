// The suite's results document (schema "infergate.bench-suite/1"), written by bench/suite.ts as
// bench/results/<date>-<host>.json and read by the report generator. One file holds everything
// the report shows, so a report can be rebuilt from a committed JSON without re-running.
import type { CeilingResult } from '../peers/in-process-ceiling.js';
import type { LoadResult } from '../loadgen/result.js';

export const SUITE_SCHEMA = 'infergate.bench-suite/1';

/** raw-peer-ort: the raw peer with ORT's default threads (every core, spinning pool threads),
 *  as issue 4's baseline table was measured; raw-peer: the same with 1 intra-op thread. */
export type SystemId = 'infergate' | 'infergate-latency' | 'infergate-noconfig' | 'raw-peer' | 'raw-peer-ort' | 'json-peer';

/** infergate-noconfig: the gateway over the same model without a config.json, as users deploy
 *  it (auto-complete decides its batching: src/repository/auto-complete.ts). */

/** infergate-latency: the gateway's latency mode (see LATENCY_MODE_ARGS in bench/suite.ts). */

export interface SystemInfo {
  id: SystemId;
  title: string;
  available: boolean;
  /** Why not available, or notes about how it ran. */
  note: string;
  command: string;
}

export interface SuiteRun {
  system: SystemId;
  protocol: string;
  workload: string;
  mode: 'open' | 'closed';
  concurrency: number;
  /** Open loop only. */
  rate: number;
  result: LoadResult | null;
  error: string | null;
}

export interface CrossCheck {
  tool: string;
  command: string;
  target: string;
  toolRequestsPerS: number;
  loadgenRequestsPerS: number;
  /** loadgen / tool - 1. */
  difference: number;
  toolP50Us: number | null;
  loadgenP50Us: number | null;
}

export interface SuiteResults {
  schema: typeof SUITE_SCHEMA;
  createdAt: string;
  command: string;
  machine: {
    host: string;
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    platform: string;
    loadAvgAtStart: number[];
  };
  /** True when the load generator and the servers run on the same cores (always on one host). */
  sharedCores: boolean;
  settings: { durationS: number; warmupS: number; seed: number; modelPath: string; peerThreads: number; quick: boolean };
  systems: SystemInfo[];
  ceiling: CeilingResult[];
  runs: SuiteRun[];
  crossCheck: CrossCheck[];
  wallS: number;
}

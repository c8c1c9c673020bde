// What the default suite measures, per system. Closed-loop concurrency sweeps give the
// latency-vs-throughput curves and the maximum; open-loop points at fractions of that maximum
// show latency at a steady offered load. Sized so the whole default suite takes about 5
// minutes on 2 cores (46 points of 5 s + 1 s warm-up; 310 s measured). The K=1 sweeps include
// 8 in flight because the p99 <= 2 ms bound falls between 4 and 16 on this machine.
import type { SystemId } from '../report/results.js';

export interface PlanPoint {
  protocol: string;
  workload: 'k1' | 'k200' | 'k1000' | 'mixed';
  mode: 'open' | 'closed';
  concurrency: number;
  /** Open loop: fraction of the best closed-loop req/s measured so far for this protocol+workload. */
  rateFraction: number;
}

const closed = (protocol: string, workload: PlanPoint['workload'], ...concurrency: number[]): PlanPoint[] =>
  concurrency.map((c) => ({ protocol, workload, mode: 'closed', concurrency: c, rateFraction: 0 }));
const open = (protocol: string, workload: PlanPoint['workload'], ...fractions: number[]): PlanPoint[] =>
  fractions.map((f) => ({ protocol, workload, mode: 'open', concurrency: 0, rateFraction: f }));

export function planFor(system: SystemId, quick: boolean): PlanPoint[] {
  if (quick) {
    switch (system) {
      case 'raw-peer': return [...closed('raw', 'k1', 1, 16), ...open('raw', 'k1', 0.5), ...closed('raw', 'k200', 4)];
      case 'raw-peer-ort': return [...closed('raw', 'k1', 1, 16), ...closed('raw', 'k200', 1)];
      case 'infergate-latency': return [...closed('flatbuffers', 'k1', 1, 16)];
      case 'infergate-noconfig': return [...closed('flatbuffers', 'k1', 16), ...closed('flatbuffers', 'k200', 16)];
      case 'json-peer': return [...closed('json', 'k1', 1), ...closed('json', 'k200', 4)];
      case 'infergate': return [...closed('flatbuffers', 'k1', 1, 64), ...open('flatbuffers', 'k1', 0.5), ...closed('flatbuffers', 'k200', 16),
        ...closed('flatbuffers', 'mixed', 64), ...closed('json', 'k1', 16), ...closed('binary', 'k1', 16), ...closed('ws', 'k1', 64)];
    }
  }
  switch (system) {
    case 'raw-peer':
      return [...closed('raw', 'k1', 1, 4, 8, 16, 64), ...open('raw', 'k1', 0.5, 0.8), ...closed('raw', 'k200', 1, 4, 16), ...closed('raw', 'mixed', 16)];
    case 'raw-peer-ort':
      return [...closed('raw', 'k1', 1, 4, 8, 16), ...closed('raw', 'k200', 1, 4)];
    case 'infergate-noconfig':
      return [...closed('flatbuffers', 'k1', 1, 16, 64), ...closed('flatbuffers', 'k200', 16)];
    case 'infergate-latency':
      return [...closed('flatbuffers', 'k1', 1, 16), ...closed('flatbuffers', 'k200', 16)];
    case 'json-peer':
      return [...closed('json', 'k1', 1, 16), ...closed('json', 'k200', 1, 4)];
    case 'infergate':
      return [
        ...closed('flatbuffers', 'k1', 1, 4, 8, 16, 64, 256), ...open('flatbuffers', 'k1', 0.5, 0.8),
        ...closed('flatbuffers', 'k200', 1, 4, 16), ...closed('flatbuffers', 'k1000', 4), ...closed('flatbuffers', 'mixed', 64, 256),
        ...closed('json', 'k1', 1, 64), ...closed('binary', 'k1', 1, 64), ...closed('binary', 'k200', 16), ...closed('ws', 'k1', 1, 256),
      ];
  }
}

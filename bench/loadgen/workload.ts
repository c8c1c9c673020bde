// Seeded request shapes and data for the load generator. Every run with the same seed sends the
// same sequence of row counts and the same feature values, so two systems measured in one suite
// see identical traffic.
//
// Mixed profile (the design's "real traffic"): most requests score one item, a few score
// 500..1000 candidates, and the large ones carry about half of all rows. With a large request
// of mean 750 rows, a share p of large requests gives p*750 = (1-p)*1 rows each way, so
// p = 1/751: about one request in 751 is large.
import { SeededRandom } from '../../test/fixtures/seeded-random.js';

export type WorkloadName = 'k1' | 'k200' | 'k1000' | 'mixed';
export const WORKLOADS: readonly WorkloadName[] = ['k1', 'k200', 'k1000', 'mixed'];

/** One distinct request body: `rows` x `features` float32 values, row-major. */
export interface RequestTemplate {
  rows: number;
  /** Values rounded to 6 decimals (what a typical client would print into JSON), as float32. */
  data: Float32Array;
}

export interface Workload {
  name: WorkloadName;
  features: number;
  templates: RequestTemplate[];
  /** Returns the index of the template the next request uses (seeded, deterministic). */
  nextTemplate(): number;
  /** Mean rows per request over the profile (for the report). */
  meanRows: number;
}

const MIXED_LARGE_SHARE = 1 / 751;
const SMALL_TEMPLATES = 64;
const LARGE_TEMPLATES = 16;

function makeTemplate(rng: SeededRandom, rows: number, features: number): RequestTemplate {
  const data = new Float32Array(rows * features);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(rng.uniform(-1, 1) * 1e6) / 1e6;
  return { rows, data };
}

export function makeWorkload(name: WorkloadName, features: number, seed: number): Workload {
  if (!Number.isInteger(features) || features <= 0) throw new RangeError('features must be a positive integer');
  const rng = new SeededRandom(seed);
  const pick = new SeededRandom((seed ^ 0x9e3779b9) >>> 0);
  const fixed = (rows: number, count: number): Workload => {
    const templates = Array.from({ length: count }, () => makeTemplate(rng, rows, features));
    let i = 0;
    return { name, features, templates, meanRows: rows, nextTemplate: () => (i = (i + 1) % count) };
  };
  switch (name) {
    case 'k1': return fixed(1, SMALL_TEMPLATES);
    case 'k200': return fixed(200, 16);
    case 'k1000': return fixed(1000, 8);
    case 'mixed': {
      const templates: RequestTemplate[] = [];
      for (let i = 0; i < SMALL_TEMPLATES; i++) templates.push(makeTemplate(rng, 1, features));
      let largeRows = 0;
      for (let i = 0; i < LARGE_TEMPLATES; i++) {
        const rows = 500 + rng.int(501);
        largeRows += rows;
        templates.push(makeTemplate(rng, rows, features));
      }
      const meanLarge = largeRows / LARGE_TEMPLATES;
      return {
        name, features, templates,
        meanRows: (1 - MIXED_LARGE_SHARE) + MIXED_LARGE_SHARE * meanLarge,
        nextTemplate: () => pick.next() < MIXED_LARGE_SHARE
          ? SMALL_TEMPLATES + pick.int(LARGE_TEMPLATES)
          : pick.int(SMALL_TEMPLATES),
      };
    }
    default:
      throw new RangeError(`unknown workload "${String(name)}" (use ${WORKLOADS.join('|')})`);
  }
}

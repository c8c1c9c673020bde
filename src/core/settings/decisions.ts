// The decision records (docs/decisions/NNN-slug.md): one per measured choice. Code, help text
// and the settings rows cite a record by its number instead of repeating its figures.
export const DECISIONS: Readonly<Record<string, { slug: string; title: string }>> = Object.freeze({
  '001': { slug: 'inline-small-batches', title: 'Inline small batches on the HTTP thread' },
  '002': { slug: 'one-decision-per-turn', title: 'One dispatch decision per event-loop turn' },
  '003': { slug: 'idle-spinners', title: 'Idle spinners (SCHED_IDLE) and the lone-request rule' },
  '004': { slug: 'quiet-spin', title: 'Quiet spin after inline batches' },
  '005': { slug: 'spin-in-flight', title: 'Spin while a small batch is in flight' },
  '006': { slug: 'semi-space-size', title: 'Run node with --max-semi-space-size=64' },
  '007': { slug: 'workers-per-core', title: 'Workers = cores, one ORT thread per worker' },
  '008': { slug: 'warmup-order', title: 'Warm-up order (RSS with N workers)' },
  '009': { slug: 'no-spinning-by-default', title: 'No ORT or hop spinning by default (spin-us 0)' },
  '010': { slug: 'batching-defaults', title: 'Batching defaults (delay, queue bounds)' },
  '011': { slug: 'gpu-ort-files-and-workers', title: 'GPU: which ORT files pair; CUDA wants >= 4 workers' },
  '012': { slug: 'concurrency-limit-off-by-default', title: 'The concurrency limit is off by default; adaptive is opt-in' },
  '013': { slug: 'default-max-batch-size', title: 'Auto-complete: the default max_batch_size' },
  '014': { slug: 'metric-buckets', title: 'Histogram buckets that resolve the stages they time' },
  '015': { slug: 'bounded-json', title: 'Bounded JSON: limits before allocation, big bodies off the HTTP thread' },
  '016': { slug: 'tracing-sample-first', title: 'Tracing decides sampling first; the export stays on the HTTP thread' },
  '017': { slug: 'pooled-request-bodies', title: 'Request bodies in pooled buffers, given back when the answer is written' },
  '018': { slug: 'lone-request-sessions', title: 'Lone requests run on a session whose ORT threads spin' },
});

/** "docs/decisions/001-inline-small-batches.md" */
export function decisionPath(n: string): string {
  const d = DECISIONS[n];
  if (d === undefined) throw new RangeError(`no decision record ${n}`);
  return `docs/decisions/${n}-${d.slug}.md`;
}

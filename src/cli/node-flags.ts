// V8 settings the gateway is measured and shipped with. They only work on node's own command
// line (or NODE_OPTIONS): the main isolate's heap is sized before any script runs, and
// v8.setFlagsFromString comes too late for it. So every launcher passes them: the npm start
// script, the bin's shebang, the bench harness; `serve` warns when they are missing.
//
// --max-semi-space-size=64 (MiB, default 16): the young generation fills 4x less often, so
// scavenge pauses hit 4x fewer requests (their cost follows the surviving objects, which are the
// requests in flight, not the garbage). See docs/decisions/006.
export const GATEWAY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=64']);

/** The flags of GATEWAY_NODE_FLAGS whose option (the part before "=") was given neither on the
 *  command line nor in NODE_OPTIONS. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split('=')[0]!.replace(/_/g, '-'));
  return GATEWAY_NODE_FLAGS.filter((f) => !given.includes(f.split('=')[0]!));
}

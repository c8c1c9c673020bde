// Capacity planning (`infergate bench plan`): from one replica's measured capacity at a p99
// budget, the replicas and cores a target load needs, with headroom and a spare for failures.
// Pure function; cli.ts reads the measured capacity from a sweep's sweep.json or a flag.
//
// The rules, each an SRE's usual one (docs/operations.md):
//  - a replica is planned at (1 - headroom) of its measured capacity, so a traffic spike or a
//    slow neighbour does not push its p99 past the budget (capacity at the budget is a knee:
//    latency climbs steeply beyond it);
//  - N + spare: the target must still be carried with `spare` replicas gone (a rollout's
//    surge-less step, a node drained, one crashed);
//  - never fewer than minReplicas (availability across zones).

export interface PlanInput {
  /** One replica's requests per second at the p99 budget (measured). */
  capacityRps: number;
  /** Requests per second the fleet must carry at peak. */
  targetRps: number;
  /** Share of capacity kept free on each replica, 0..0.9. */
  headroom: number;
  /** Replicas that may be missing while the target is still carried. */
  spare: number;
  minReplicas: number;
  /** Cores one replica was measured on (its CPU request/limit). */
  coresPerReplica: number;
}

export interface Plan {
  /** Replicas that carry the target at the planned utilisation. */
  needed: number;
  replicas: number;
  cores: number;
  /** Each replica's share of the target with all replicas up, as a fraction of its capacity. */
  utilisationAllUp: number;
  /** The same with `spare` replicas gone. */
  utilisationSpareDown: number;
}

export function planCapacity(i: PlanInput): Plan {
  const bad = (what: string): never => { throw new RangeError(what); };
  if (!(i.capacityRps > 0)) bad(`capacity must be > 0 req/s (got ${i.capacityRps})`);
  if (!(i.targetRps > 0)) bad(`target must be > 0 req/s (got ${i.targetRps})`);
  if (!(i.headroom >= 0 && i.headroom <= 0.9)) bad(`headroom must be in 0..0.9 (got ${i.headroom})`);
  if (!(Number.isInteger(i.spare) && i.spare >= 0)) bad(`spare must be an integer >= 0 (got ${i.spare})`);
  if (!(Number.isInteger(i.minReplicas) && i.minReplicas >= 1)) bad(`min replicas must be an integer >= 1 (got ${i.minReplicas})`);
  if (!(i.coresPerReplica > 0)) bad(`cores per replica must be > 0 (got ${i.coresPerReplica})`);
  const perReplica = i.capacityRps * (1 - i.headroom);
  const needed = Math.ceil(i.targetRps / perReplica - 1e-9);
  const replicas = Math.max(i.minReplicas, needed + i.spare);
  const share = (n: number): number => i.targetRps / n / i.capacityRps;
  return {
    needed, replicas, cores: replicas * i.coresPerReplica,
    utilisationAllUp: share(replicas), utilisationSpareDown: share(Math.max(1, replicas - i.spare)),
  };
}

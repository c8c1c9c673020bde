// The load loop. Open loop: requests are due at intended times (fixed or Poisson gaps); a due
// request waits in a client backlog while every connection is busy, and its latency counts from
// its intended time, so a slow server cannot hide its stalls by slowing the client down
// (coordinated omission). Closed loop: `concurrency` requests in flight, each answer sends the next.
//
// Accounting invariant (checked by the tests): sent = answered + errors. Requests still in
// flight after the window are awaited up to timeoutMs and then counted as 'timeout'.
import { build, type Histogram } from 'hdr-histogram-js';
import { SeededRandom } from '../../test/fixtures/seeded-random.js';
import { scrapeMetrics, serverDelta, type Sample } from './metrics-scrape.js';
import type { LoadOptions } from './options.js';
import { encodeHttpTemplates, encodeWsTemplates, type TargetInfo } from './request-bytes.js';
import { efficiencyOf, LOADGEN_SCHEMA, percentileCurve, summarize, type LoadResult } from './result.js';
import { flatResponseClassifier, HttpTransport, WsTransport, type InFlight, type Outcome, type Transport, type WsClassifier } from './transport.js';
import { makeWorkload } from './workload.js';
import { PreciseTimer } from './precise-timer.js';
import { cpuShare, cpuSnapshot } from './cpu-sample.js';

export interface RunHooks {
  /** Called about every 200 ms while running. */
  onProgress?(p: { elapsedS: number; totalS: number; answered: number; errors: number }): void;
  /** Overrides how WebSocket answers are read (tests use an echo server). */
  wsClassifier?: WsClassifier;
}

const newHistogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

/** Asks GET /v2/models/{model} for the first input's name and its per-row feature count. */
async function discoverTarget(o: LoadOptions): Promise<{ inputName: string; features: number; from: LoadResult['target']['discoveredFrom'] }> {
  if (o.inputName !== '' && o.features > 0) return { inputName: o.inputName, features: o.features, from: 'options' };
  let name = '';
  let features = 0;
  try {
    const res = await fetch(new URL(`/v2/models/${encodeURIComponent(o.model)}`, o.url), { signal: AbortSignal.timeout(3000) });
    if (res.ok) {
      const meta = (await res.json()) as { inputs?: Array<{ name?: unknown; shape?: unknown }> };
      const first = meta.inputs?.[0];
      if (typeof first?.name === 'string') name = first.name;
      const shape = Array.isArray(first?.shape) ? (first!.shape as unknown[]) : [];
      const last = Number(shape[shape.length - 1]);
      if (shape.length >= 2 && Number.isInteger(last) && last > 0) features = last;
    }
  } catch {
    // Peers without metadata: defaults below.
  }
  const found = name !== '' || features > 0;
  return {
    inputName: o.inputName || name || 'features',
    features: o.features || features || 128,
    from: found ? 'metadata' : 'default',
  };
}

export async function runLoad(o: LoadOptions, hooks: RunHooks = {}): Promise<LoadResult> {
  const url = new URL(o.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const t = await discoverTarget(o);
  const target: TargetInfo = { host: url.host, model: o.model, inputName: t.inputName, features: t.features };
  const workload = makeWorkload(o.workload, t.features, o.seed);
  const rowsOf = workload.templates.map((x) => x.rows);

  const latency = newHistogram();
  const service = newHistogram();
  const lag = newHistogram();
  const errorsByStatus: Record<string, number> = {};
  let sent = 0, answered = 0, errors = 0, rowsAnswered = 0, scheduled = 0, withinBudget = 0;
  let lastDoneMs = 0;
  let finished = false;
  let wake: (() => void) | null = null;

  // Set once the transport is ready (connecting and encoding must not eat into the window).
  let startMs = 0, measureStartMs = 0, endMs = 0;

  const onDone = (req: InFlight, outcome: Outcome, nowMs: number): void => {
    if (req.measured) {
      if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
        answered++;
        rowsAnswered += rowsOf[req.template]!;
        // From the intended send time, or from the actual send if that was (slightly) earlier.
        const us = Math.max(1, Math.round((nowMs - Math.min(req.intendedMs, req.sentMs)) * 1000));
        latency.recordValue(us);
        if (o.budgetUs > 0 && us <= o.budgetUs) withinBudget++;
        if (o.mode === 'open') service.recordValue(Math.max(1, Math.round((nowMs - req.sentMs) * 1000)));
      } else {
        errors++;
        errorsByStatus[String(outcome)] = (errorsByStatus[String(outcome)] ?? 0) + 1;
      }
      lastDoneMs = nowMs;
    }
    if (o.mode === 'closed') refill();
    else pump();
    if (wake && transport.inFlight() === 0) wake();
  };

  let transport: Transport;
  if (o.protocol === 'ws') {
    const classify = hooks.wsClassifier ?? (await flatResponseClassifier());
    const templates = await encodeWsTemplates(target, workload.templates);
    transport = await WsTransport.open(host, port, o.connections, o.maxInFlightPerConnection, templates, classify, onDone);
  } else {
    transport = new HttpTransport(host, port, o.connections, await encodeHttpTemplates(o.protocol, target, workload.templates), onDone);
  }

  startMs = performance.now();
  measureStartMs = startMs + o.warmupS * 1000;
  endMs = measureStartMs + o.durationS * 1000;

  function dispatch(req: InFlight): void {
    req.sentMs = performance.now();
    if (req.measured) {
      sent++;
      if (o.mode === 'open') lag.recordValue(Math.max(1, Math.round((req.sentMs - req.intendedMs) * 1000)));
    }
    transport.send(req);
  }

  // Open loop: the schedule (intended send times, generated ahead into `future` and into the
  // timer), and the backlog of due requests waiting for a free connection.
  const arrivals = new SeededRandom((o.seed * 7919 + 17) >>> 0);
  const gapMs = (): number => (o.arrival === 'fixed' ? 1000 / o.rate : (-Math.log(1 - arrivals.next()) * 1000) / o.rate);
  let nextDueMs = startMs;
  const future: number[] = [];
  let futureHead = 0;
  const backlog: InFlight[] = [];
  let backlogHead = 0;
  const timer = o.mode === 'open' ? new PreciseTimer(() => pump()) : null;

  function scheduleAhead(): void {
    // The ring's space as well: the worker fires from it and may lag (then it is filled on its next wake).
    while (timer!.queued < 512 && timer!.space > 0 && nextDueMs < endMs) {
      future.push(nextDueMs);
      timer!.add(nextDueMs);
      nextDueMs += gapMs();
    }
  }

  function pump(): void {
    if (o.mode !== 'open' || finished) return;
    const now = performance.now();
    // Due now, or within the timer's lead (its wake-ups are that much early on purpose).
    const horizon = now + timer!.leadMs;
    while (futureHead < future.length && future[futureHead]! <= horizon) {
      const intendedMs = future[futureHead++]!;
      const measured = intendedMs >= measureStartMs;
      if (measured) scheduled++;
      backlog.push({ template: workload.nextTemplate(), intendedMs, sentMs: 0, measured });
    }
    while (backlogHead < backlog.length && transport.canSend(now)) dispatch(backlog[backlogHead++]!);
    if (backlogHead > 4096 && backlogHead * 2 > backlog.length) {
      backlog.splice(0, backlogHead);
      backlogHead = 0;
    }
    if (futureHead > 4096) {
      future.splice(0, futureHead);
      futureHead = 0;
    }
    scheduleAhead();
  }

  // Closed loop: keep `concurrency` in flight; when no connection may send (one cooling down
  // after a failure), look again shortly instead of reconnecting in a tight loop.
  let refillTimer: NodeJS.Timeout | null = null;
  function refill(): void {
    let now = performance.now();
    while (!finished && now < endMs && transport.inFlight() < o.concurrency) {
      if (!transport.canSend(now)) {
        refillTimer ??= setTimeout(() => { refillTimer = null; refill(); }, 5);
        return;
      }
      dispatch({ template: workload.nextTemplate(), intendedMs: now, sentMs: 0, measured: now >= measureStartMs });
      now = performance.now();
    }
  }

  let cpuAtStart = cpuSnapshot(o.serverPid);
  let metricsBefore: Promise<Sample[] | null> = Promise.resolve(null);
  let metricsLagMs = 0;
  const atMeasureStart = (): void => {
    cpuAtStart = cpuSnapshot(o.serverPid);
    if (o.scrapeMetrics) {
      metricsBefore = scrapeMetrics(o.url).then((m) => {
        metricsLagMs = performance.now() - measureStartMs;
        return m;
      });
    }
  };
  const measureTimer = o.warmupS > 0 ? setTimeout(atMeasureStart, o.warmupS * 1000) : (atMeasureStart(), null);
  const totalS = o.warmupS + o.durationS;
  const progressTimer = hooks.onProgress
    ? setInterval(() => hooks.onProgress!({ elapsedS: Math.min(totalS, (performance.now() - startMs) / 1000), totalS, answered, errors }), 200)
    : null;
  const expiryTimer = setInterval(() => transport.expire(performance.now() - o.timeoutMs), Math.min(250, o.timeoutMs / 4));

  if (o.mode === 'closed') refill();
  else pump();

  // The window: then stop sending, drain what is in flight (bounded by timeoutMs via expiry).
  await new Promise<void>((r) => setTimeout(r, Math.max(0, endMs - performance.now())));
  if (o.mode === 'open') pump();
  finished = true;
  timer?.close();
  if (refillTimer) clearTimeout(refillTimer);
  if (transport.inFlight() > 0) await new Promise<void>((r) => { wake = r; });
  const cpu = cpuShare(cpuAtStart, cpuSnapshot(o.serverPid));
  if (measureTimer) clearTimeout(measureTimer);
  if (progressTimer) clearInterval(progressTimer);
  clearInterval(expiryTimer);
  const wsUnmatched = transport instanceof WsTransport ? transport.unmatched : 0;
  transport.close();

  const before = await metricsBefore;
  const after = o.scrapeMetrics && before ? await scrapeMetrics(o.url) : null;
  const elapsedS = Math.max(o.durationS, (lastDoneMs - measureStartMs) / 1000);
  const unsent = o.mode === 'open' ? backlog.slice(backlogHead).filter((r) => r.measured).length : 0;
  if (hooks.onProgress) hooks.onProgress({ elapsedS: totalS, totalS, answered, errors });
  const server = before && after ? { ...serverDelta(before, after, o.model), snapshotLagMs: metricsLagMs } : null;
  return {
    schema: LOADGEN_SCHEMA,
    label: o.label,
    startedAt: new Date(Date.now() - (performance.now() - startMs)).toISOString(),
    options: o,
    target: { inputName: t.inputName, features: t.features, discoveredFrom: t.from },
    workload: { name: workload.name, templates: workload.templates.length, meanRows: workload.meanRows },
    elapsedS,
    counts: { scheduled: o.mode === 'open' ? scheduled : sent, sent, answered, errors, errorsByStatus, unsent, rowsAnswered, withinBudget },
    throughput: { requestsPerS: answered / elapsedS, rowsPerS: rowsAnswered / elapsedS },
    latencyUs: summarize(latency),
    serviceLatencyUs: o.mode === 'open' ? summarize(service) : null,
    scheduleLagUs: o.mode === 'open' ? summarize(lag) : null,
    percentileCurve: percentileCurve(latency),
    server,
    loadgen: { cpuPercent: cpu.loadgenPercent, pid: process.pid, wsUnmatched,
      serverCpuPercent: cpu.serverPercent, machineCpuPercent: cpu.machinePercent, otherCpuPercent: cpu.otherPercent },
    efficiency: efficiencyOf(cpu.serverCpuS, answered, rowsAnswered, server, cpu.serverCpuByThreadS),
  };
}

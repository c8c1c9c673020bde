// Tracing through the official OpenTelemetry SDK to a local OTLP/HTTP receiver (a node:http
// server standing in for a collector): off unless OTEL_TRACES_EXPORTER=otlp; one SERVER span per
// infer request, a child of the caller's traceparent (HTTP header, or the stream's request
// parameter), with the batch it ran in (rows, id) and its dispatch and compute as events; the
// service name from OTEL_SERVICE_NAME; spans flushed when the gateway closes. Requests that
// shared a batch carry its id; another batch has another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRanker } from '../../scripts/gen-demo-models.js';
import { startTestGateway } from '../helpers/gateway.js';
import { writeModel } from '../helpers/fixtures.js';
import { tracingFromEnv } from '../../src/observability/tracing.js';
import { InferClient } from '../../src/client/index.js';

const quiet = { info() {}, warn() {} };

test('tracing is off by default and when the SDK is disabled', async () => {
  assert.equal(await tracingFromEnv({}, quiet), undefined);
  assert.equal(await tracingFromEnv({ OTEL_TRACES_EXPORTER: 'none' }, quiet), undefined);
  assert.equal(await tracingFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }, quiet), undefined);
});

interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  attributes: { key: string; value: Record<string, unknown> }[]; events?: { name: string }[];
}

interface Receiver { endpoint: string; bodies: { path: string; type: string; body: string }[]; close(): Promise<unknown> }

/** A local OTLP/HTTP receiver that keeps every post. */
async function otlpReceiver(): Promise<Receiver> {
  const bodies: Receiver['bodies'] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
      res.setHeader('Content-Type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, bodies, close: () => new Promise((r) => receiver.close(r)) };
}

type ResourceSpans = { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
const resourceSpansOf = (r: Receiver): ResourceSpans => r.bodies.flatMap((b) => (JSON.parse(b.body) as { resourceSpans: ResourceSpans }).resourceSpans);
const spansOf = (r: Receiver): OtlpSpan[] => resourceSpansOf(r).flatMap((x) => x.scopeSpans.flatMap((s) => s.spans));
const attr = (s: OtlpSpan, k: string): unknown => Object.values(s.attributes.find((a) => a.key === k)?.value ?? {})[0];

test('a span per request arrives at an OTLP receiver, a child of the caller\'s trace', { timeout: 60_000 }, async () => {
  const rx = await otlpReceiver();
  const { bodies, endpoint } = rx;
  const repo = mkdtempSync(join(tmpdir(), 'infergate-trace-'));
  try {
    writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64 });
    const tracing = await tracingFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'ranker-gateway' }, quiet);
    assert.ok(tracing);
    const gw = await startTestGateway(repo, { workers: 1, tracing });
    const httpTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const wsTrace = '0af7651916cd43dd8448eb211c80319c';
    const client = new InferClient(gw.url);
    try {
      const features = { shape: [2, 128], data: new Float32Array(256).fill(0.5) };
      await client.infer('ranker', { features }, { traceparent: `00-${httpTrace}-00f067aa0ba902b7-01`, id: 'traced-1' });
      await client.infer('ranker', { features }); // no caller context: a root span
      const stream = await client.stream();
      await stream.infer('ranker', { features }, { traceparent: `00-${wsTrace}-b7ad6b7169203331-01` });
      await stream.close();
    } finally {
      client.close();
      await gw.close(); // flushes the batch processor
    }
    assert.ok(bodies.length > 0, 'the exporter posted to the receiver');
    assert.ok(bodies.every((b) => b.path === '/v1/traces' && b.type.startsWith('application/json')), JSON.stringify(bodies.map((b) => [b.path, b.type])));
    const service = resourceSpansOf(rx)[0]!.resource.attributes.find((a) => a.key === 'service.name');
    assert.deepEqual(service?.value, { stringValue: 'ranker-gateway' });
    const spans = spansOf(rx);
    assert.equal(spans.length, 3, JSON.stringify(spans.map((s) => s.name)));

    const http = spans.find((s) => s.traceId === httpTrace);
    assert.ok(http, `a span in the caller's trace: ${JSON.stringify(spans.map((s) => s.traceId))}`);
    assert.equal(http.parentSpanId, '00f067aa0ba902b7', 'a child of the caller\'s span');
    assert.equal(http.name, 'infer ranker');
    assert.equal(http.kind, 2, 'SERVER');
    assert.equal(attr(http, 'infergate.request_id'), 'traced-1');
    assert.equal(Number(attr(http, 'infergate.batch.rows')) >= 2, true);
    assert.ok(Number(attr(http, 'infergate.batch.id')) >= 1, 'the batch it ran in');
    assert.deepEqual((http.events ?? []).map((e) => e.name), ['dispatched', 'computed']);

    const ws = spans.find((s) => s.traceId === wsTrace);
    assert.ok(ws, 'the stream\'s traceparent parameter is honoured');
    assert.equal(ws.parentSpanId, 'b7ad6b7169203331');
    const root = spans.find((s) => s.traceId !== httpTrace && s.traceId !== wsTrace)!;
    assert.ok(!root.parentSpanId, 'no caller context: a root span');
  } finally {
    await rx.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

test('requests that shared a batch carry its id on their spans; other batches have other ids', { timeout: 60_000 }, async () => {
  const rx = await otlpReceiver();
  const repo = mkdtempSync(join(tmpdir(), 'infergate-trace-'));
  try {
    // A queue delay, so that requests arriving together wait for each other.
    writeModel(repo, 'ranker', buildRanker(), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 20_000 } });
    const tracing = await tracingFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint }, quiet);
    assert.ok(tracing);
    const gw = await startTestGateway(repo, { workers: 1, tracing });
    const client = new InferClient(gw.url);
    const sent: { id: string; rows: number }[] = [];
    try {
      // Waves of 6 concurrent requests of 1..6 rows (ids say the rows) until the gateway has
      // formed fewer batches than requests (some shared one: almost always in the first wave).
      const batchesSoFar = async (): Promise<number> => {
        const m = /^infergate_batch_size_count\{[^}]*model="ranker"[^}]*\} (\d+)$/m.exec(await (await fetch(`${gw.url}/metrics`)).text());
        return Number(m?.[1] ?? 0);
      };
      for (let wave = 0; wave < 20 && (wave < 2 || await batchesSoFar() === sent.length); wave++) {
        const requests = Array.from({ length: 6 }, (_, i) => ({ id: `w${wave}-r${i + 1}`, rows: i + 1 }));
        sent.push(...requests);
        await Promise.all(requests.map((r) => client.infer('ranker', { features: { shape: [r.rows, 128], data: new Float32Array(r.rows * 128).fill(0.25) } }, { id: r.id })));
      }
    } finally {
      client.close();
      await gw.close();
    }
    const spans = spansOf(rx);
    assert.equal(spans.length, sent.length);
    const rowsOf = new Map(sent.map((r) => [r.id, r.rows]));
    const byBatch = new Map<string, OtlpSpan[]>();
    for (const s of spans) {
      const id = attr(s, 'infergate.batch.id');
      assert.notEqual(id, undefined, 'every span names its batch');
      byBatch.set(String(id), [...(byBatch.get(String(id)) ?? []), s]);
    }
    // Every span of one id reports that batch's rows, and those rows are exactly the rows of the
    // requests carrying the id: no two batches share an id, no batch's requests carry two.
    for (const [id, group] of byBatch) {
      const batchRows = new Set(group.map((s) => Number(attr(s, 'infergate.batch.rows'))));
      assert.equal(batchRows.size, 1, `batch ${id}: one size`);
      const requestRows = group.reduce((n, s) => n + rowsOf.get(String(attr(s, 'infergate.request_id')))!, 0);
      assert.equal(requestRows, [...batchRows][0], `batch ${id}: the rows of its requests`);
    }
    assert.ok([...byBatch.values()].some((g) => g.length >= 2), 'some requests shared a batch');
    assert.ok(byBatch.size >= 2, 'more than one batch');
  } finally {
    await rx.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

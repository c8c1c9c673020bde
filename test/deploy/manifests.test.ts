// Every Kubernetes object under deploy/kubernetes/ validates against the Kubernetes JSON schemas
// (kubernetes-models, offline), and the objects agree with each other and with the gateway:
// probes on the real health routes, a grace period above the preStop pause plus the drain
// budget, selectors that select the Deployment's pods, HPA metrics that the adapter rules
// publish. No cluster runs here: this is what can be checked without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ALL_SETTINGS } from '../../src/core/settings/index.js';
import { createGatewayMetrics } from '../../src/observability/gateway-metrics.js';

const dir = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url));

interface Validatable { validate(): void }
const MODELS: Record<string, new (data: never) => Validatable> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown>; data?: Record<string, string> };

function loadAll(): { file: string; obj: Obj }[] {
  const out: { file: string; obj: Obj }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `${file}: YAML errors`);
      const obj = doc.toJS() as Obj | null;
      if (obj !== null) out.push({ file, obj });
    }
  }
  return out;
}

const objects = loadAll();
const one = <T>(kind: string): T => {
  const found = objects.filter((o) => o.obj.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0]!.obj as T;
};

test('every manifest object validates against its Kubernetes schema', () => {
  assert.ok(objects.length >= 5, `objects found: ${objects.length}`);
  for (const { file, obj } of objects) {
    const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
    assert.ok(Model, `${file}: ${obj.apiVersion} ${obj.kind} has no schema model in this test; add it`);
    assert.doesNotThrow(() => new Model(obj as never).validate(), (e: Error) => `${file} ${obj.kind}/${obj.metadata.name}: ${e.message}`);
  }
});

test('the validation catches a broken object (the check can fail)', () => {
  const d = structuredClone(one<Obj>('Deployment')) as unknown as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
  d.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'eight thousand';
  assert.throws(() => new Deployment(d as never).validate());
});

test('probes, shutdown budget and selectors fit the gateway and each other', () => {
  type Container = {
    readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } };
    lifecycle: { preStop: { exec: { command: string[] } } }; env: { name: string; value: string }[];
  };
  const dep = one<{ spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { terminationGracePeriodSeconds: number; containers: Container[] } } } }>('Deployment');
  const c = dep.spec.template.spec.containers[0]!;
  assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready');
  assert.equal(c.livenessProbe.httpGet.path, '/v2/health/live');
  const [cmd, seconds] = c.lifecycle.preStop.exec.command;
  assert.equal(cmd, 'sleep');
  const drainBudgetS = 30;
  assert.ok(dep.spec.template.spec.terminationGracePeriodSeconds > Number(seconds) + drainBudgetS,
    'the grace period covers the preStop pause and the drain');
  // Every INFERGATE_* variable is a real setting.
  const envs = new Set(ALL_SETTINGS.map((s) => s.env).filter(Boolean));
  for (const e of c.env) if (e.name.startsWith('INFERGATE_')) assert.ok(envs.has(e.name), `${e.name} is not a setting`);

  const labels = dep.spec.template.metadata.labels;
  const selects = (sel: Record<string, string>): boolean => Object.entries(sel).every(([k, v]) => labels[k] === v);
  assert.ok(selects(dep.spec.selector.matchLabels));
  assert.ok(selects(one<{ spec: { selector: Record<string, string> } }>('Service').spec.selector), 'the Service selects the pods');
  assert.ok(selects(one<{ spec: { selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget').spec.selector.matchLabels), 'the PDB selects the pods');

  const hpa = one<{ spec: { scaleTargetRef: { name: string }; metrics: { pods: { metric: { name: string } } }[] } }>('HorizontalPodAutoscaler');
  assert.equal(hpa.spec.scaleTargetRef.name, 'infergate');
  const rules = (parse(one<Obj>('ConfigMap').data!['config.yaml']!) as { rules: { seriesQuery: string; name: { as: string } }[] }).rules;
  const published = new Set(rules.map((r) => r.name.as));
  for (const m of hpa.spec.metrics) assert.ok(published.has(m.pods.metric.name), `the adapter publishes ${m.pods.metric.name}`);
  // ...from series the gateway exports.
  const exported = createGatewayMetrics().registry.render();
  for (const r of rules) {
    const series = /^([a-z_]+)\{/.exec(r.seriesQuery)![1]!.replace(/_bucket$/, '');
    assert.match(exported, new RegExp(`^# TYPE ${series} `, 'm'), `${series} is a gateway metric`);
  }
});

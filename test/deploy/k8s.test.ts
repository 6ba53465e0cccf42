// Offline validation of deploy/k8s and deploy/strimzi: every overlay is rendered with kustomize
// and every object checked against its schema by kubeconform (Kubernetes' own schemas, and the
// CRD schemas of Strimzi, KEDA and prometheus-operator), then against the project's rules
// (test/helpers/k8s-policy.ts, k8s-kafka.ts); alert and dashboard queries go through Prometheus'
// PromQL parser. The tools come from test/tools/install-k8s-tools.sh; without them this test
// fails and says so. Each check is shown to reject a bad manifest (test/deploy/fixtures).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { kafkaProblems } from '../helpers/k8s-kafka.js';
import { aclProblems, ofKind, selects, serviceConfigs, spec, workloadProblems, workloads } from '../helpers/k8s-policy.js';
import type { Selector } from '../helpers/k8s-policy.js';
import { findK8sTools, parseObjects, promqlErrors, render, repoRoot, validateSchemas } from '../helpers/k8s-tools.js';
import type { K8sObject, K8sTools, Query } from '../helpers/k8s-tools.js';

const ENVS = {
  dev: { project: 'taxi-stream-dev', rawPartitions: 3, processors: { min: 1, max: 3 } },
  prod: { project: 'taxi-stream-prod', rawPartitions: 6, processors: { min: 2, max: 6 } },
} as const;
const RENDERS = Object.keys(ENVS).flatMap((env) => [`deploy/k8s/overlays/${env}`, `deploy/k8s/overlays/${env}/replay`, `deploy/strimzi/overlays/${env}`]);
const fixture = (name: string): string => readFileSync(join(repoRoot, 'test/deploy/fixtures', name), 'utf8');

t.test('missing or stale tools fail with the command that installs them', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'taxi-no-tools-'));
  t.teardown(() => { rmSync(cache, { recursive: true, force: true }); });
  const missing = findK8sTools(cache);
  t.match('problem' in missing && missing.problem, /not installed .*bash test\/tools\/install-k8s-tools\.sh/, 'missing: names the install script');
  mkdirSync(join(cache, 'tools', 'k8s'), { recursive: true });
  writeFileSync(join(cache, 'tools', 'k8s', 'key'), 'from-an-older-script\n');
  const stale = findK8sTools(cache);
  t.match('problem' in stale && stale.problem, /another version of test\/tools .*bash test\/tools\/install-k8s-tools\.sh/, 'stale: names the install script');
});

const tools = findK8sTools();
if ('problem' in tools) {
  t.fail(tools.problem);
} else {
  t.comment(`tools: ${tools.versions.replaceAll('\n', '; ')}`);
  t.comment('not checked offline: CEL rules of the CRDs (x-kubernetes-validations), which only an API server evaluates');
  checks(tools);
}

function checks(tools: K8sTools): void {
  const rendered = new Map<string, K8sObject[]>();
  const objects = (dir: string): K8sObject[] => {
    const cached = rendered.get(dir);
    if (cached) return cached;
    const parsed = parseObjects(render(tools, dir));
    rendered.set(dir, parsed);
    return parsed;
  };

  t.test('every overlay renders and every object passes its schema', async (t) => {
    const yaml = Object.fromEntries(RENDERS.map((dir) => [dir, render(tools, dir)]));
    const results = validateSchemas(tools, yaml);
    for (const dir of RENDERS) {
      const parsed = parseObjects(yaml[dir] ?? '');
      rendered.set(dir, parsed);
      const checked = results.get(dir) ?? [];
      t.equal(checked.length, parsed.length, `${dir}: kubeconform checked all ${parsed.length} objects`);
      for (const r of checked) t.equal(r.status, 'statusValid', `${dir}: ${r.kind} ${r.name}${r.msg ? `: ${r.msg}` : ''}`);
      t.comment(`${dir}: ${[...new Set(parsed.map((o) => `${o.kind} ${o.apiVersion}`))].join(', ')}`);
    }
  });

  for (const [env, want] of Object.entries(ENVS)) {
    t.test(`${env}: project rules`, async (t) => {
      const app = [...objects(`deploy/k8s/overlays/${env}`), ...objects(`deploy/k8s/overlays/${env}/replay`)];
      const kafka = objects(`deploy/strimzi/overlays/${env}`);
      t.same(workloadProblems(app), [], 'pods: non-root, read-only, no escalation, no capabilities, resources, /tmp, probes');
      const { configs, problems } = serviceConfigs(app);
      t.same(problems, [], 'each container\'s TAXI__ config parses as libs/config parses it at start-up');
      t.same([...configs.keys()].sort(), ['Deployment taxi-ingestor, container ingestor', 'Deployment taxi-processor, container processor', 'Job taxi-replay, container replay']);
      t.same(aclProblems(kafka), [], 'KafkaUsers: TLS, narrow ACLs on existing topics');
      t.same(kafkaProblems(app, kafka), [], 'services, KEDA and Strimzi agree: topics, partitions, bootstrap, secrets, ACLs');

      const raw = ofKind(kafka, 'KafkaTopic').find((k) => k.metadata.name === 'taxi.trips.raw');
      t.equal(raw && spec<{ partitions: number }>(raw).partitions, want.rawPartitions, 'raw topic partitions');
      const scaler = ofKind(app, 'ScaledObject').find((s) => s.metadata.name === 'taxi-processor');
      t.match(scaler?.spec, { minReplicaCount: want.processors.min, maxReplicaCount: want.processors.max }, 'processors scale within the partitions');

      for (const sa of ofKind(app, 'ServiceAccount')) {
        t.match(sa.metadata.annotations?.['iam.gke.io/gcp-service-account'], new RegExp(`^taxi-${env}-[a-z]+@${want.project}\\.iam\\.gserviceaccount\\.com$`),
          `ServiceAccount ${sa.metadata.name}: Workload Identity to ${want.project}`);
      }
      const accounts = new Set(ofKind(app, 'ServiceAccount').map((s) => s.metadata.name));
      for (const w of workloads(app)) t.ok(accounts.has(w.pod.serviceAccountName ?? 'default'), `${w.where} runs as a ServiceAccount of the render`);
      const pods = workloads(app).map((w) => w.labels);
      for (const kind of ['PodDisruptionBudget', 'PodMonitor']) {
        for (const o of ofKind(app, kind)) t.ok(pods.some((l) => selects(spec<{ selector: Selector }>(o).selector, l)), `${kind} ${o.metadata.name} selects pods`);
      }
      const configName = (dir: string): string | undefined => objects(dir).find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('taxi-config-'))?.metadata.name;
      t.equal(configName(`deploy/k8s/overlays/${env}/replay`), configName(`deploy/k8s/overlays/${env}`), 'the replay Job gets the Deployments\' ConfigMap (same hashed name)');
    });
  }

  t.test('dashboard and alerts', async (t) => {
    const app = objects('deploy/k8s/overlays/prod');
    const dashboards = ofKind(app, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    t.equal(dashboards.length, 1, 'one dashboard ConfigMap for the Grafana sidecar');
    const dashboard = JSON.parse(dashboards[0]?.data?.['taxi-pipeline.json'] ?? '{}') as { panels?: { title: string; targets: { refId: string; expr: string }[] }[] };
    const queries: Query[] = (dashboard.panels ?? []).flatMap((p) => p.targets.map((q) => ({
      name: `dashboard "${p.title}" ${q.refId}`,
      expr: q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h'),
    })));
    type Rules = { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
    const rules = ofKind(app, 'PrometheusRule').flatMap((r) => spec<Rules>(r).groups.flatMap((g) => g.rules));
    queries.push(...rules.map((r) => ({ name: `alert ${r.alert ?? r.record ?? '?'}`, expr: r.expr })));
    for (const metric of ['taxi_processor_rows_in_total', 'taxi_processor_rows_out_total', 'taxi_processor_rows_rejected_total', 'taxi_processor_consumer_lag_messages', 'taxi_processor_dlq_messages_total']) {
      t.ok(queries.some((q) => q.name.startsWith('dashboard') && q.expr.includes(metric)), `the dashboard shows ${metric}`);
    }
    t.same(rules.map((r) => r.alert).sort(), ['TaxiConservationBroken', 'TaxiConsumerLagGrowing', 'TaxiDlqRateHigh', 'TaxiPodsNotReady', 'TaxiRejectRatioHigh', 'TaxiTransformFailed']);
    t.match(rules.find((r) => r.alert === 'TaxiTransformFailed')?.expr, /taxi_processor_dlq_messages_total\{reason="transform_failed"\}/, 'a transform failure alerts on the DLQ reason the processor gives it');
    t.same(promqlErrors(tools, queries), [], `${queries.length} queries parse as PromQL`);
  });

  t.test('each check rejects a bad manifest', async (t) => {
    const results = validateSchemas(tools, { fixture: fixture('schema-invalid.yaml') }).get('fixture') ?? [];
    const expected: Record<string, string> = {
      'misspelled-replicas': "'replica' not allowed", 'data-not-a-map': "'/data': got array", 'partitions-as-text': "'/spec/partitions': got string",
      'unknown-operation': "operations/0': value must be one of", 'zookeeper-role': "'/spec/roles/0': value must be one of", 'v1beta2-replicas': "'replicas' not allowed",
      'hpa-field-name': "'maxReplicas' not allowed", 'port-as-number': "port': got number, want string", 'expression-field': "'expression' not allowed",
      'no-schema': 'could not find schema for Widget',
    };
    for (const [name, message] of Object.entries(expected)) {
      const r = results.find((x) => x.name === name);
      t.not(r?.status, 'statusValid', `kubeconform refuses ${r?.kind ?? '?'} ${name}`);
      t.match(r?.msg, message, `${name}: the message names the field (${message})`);
    }

    const insecure = workloadProblems(parseObjects(fixture('workload-insecure.yaml')));
    for (const field of ['runAsNonRoot should be true', 'runAsUser should be 10001', 'allowPrivilegeEscalation should be false', 'readOnlyRootFilesystem should be true',
      'capabilities.drop should be', 'capabilities.add should be empty', 'seccompProfile.type should be', 'resources.limits.memory should be set', 'container app: image should be set',
      'volumeMounts /tmp', 'containerPort should be 9464', 'livenessProbe.httpGet should be /healthz', 'readinessProbe.httpGet should be /readyz', 'image should be a registry path with a tag other than latest',
      'Job floating-image: spec.backoffLimit should be set', 'Job floating-image: spec.ttlSecondsAfterFinished should be set']) {
      t.ok(insecure.some((p) => p.includes(field)), `pod rules refuse: ${field}`);
    }

    const config = serviceConfigs(parseObjects(fixture('config-invalid.yaml'))).problems;
    t.match(config.join('\n'), /taxi\.bus\.kafka.*broker/s, 'config: the misspelled key is named');
    t.match(config.join('\n'), /taxi\.topics\.rawPartitions/, 'config: the bad value is named');
    t.match(config.join('\n'), /configMapRef missing-config: no such ConfigMap/, 'config: a missing ConfigMap is named');

    const acl = aclProblems(parseObjects(fixture('acl-too-broad.yaml')));
    for (const field of ['authentication.type should be tls', 'acls[0].operations should name operations, not All', 'acls[1].resource.name should not match everything',
      'acls[2].resource.type cluster', 'acls[3].resource.name: no KafkaTopic taxi.trips.typo', 'acls[4].host']) {
      t.ok(acl.some((p) => p.includes(field)), `ACL rules refuse: ${field}`);
    }

    // The prod renders with one disagreement at a time.
    const app = objects('deploy/k8s/overlays/prod');
    const kafka = objects('deploy/strimzi/overlays/prod');
    const patched = (list: K8sObject[], kind: string, name: string, change: (o: K8sObject) => K8sObject): K8sObject[] =>
      list.map((o) => (o.kind === kind && o.metadata.name.startsWith(name) ? change(structuredClone(o)) : o));
    const scaledTo12 = patched(app, 'ScaledObject', 'taxi-processor', (o) => ({ ...o, spec: { ...spec<object>(o), maxReplicaCount: 12 } }));
    t.match(kafkaProblems(scaledTo12, kafka).join('\n'), /maxReplicaCount 12 exceeds the 6 partitions/, 'KEDA may not scale past the partitions');
    const configSays4 = patched(app, 'ConfigMap', 'taxi-config-', (o) => ({ ...o, data: { ...o.data, TAXI__TOPICS__RAW_PARTITIONS: '4' } }));
    t.match(kafkaProblems(configSays4, kafka).join('\n'), /topics\.rawPartitions is 4 in the service's config but 6 in KafkaTopic/, 'config and topic must agree');
    const otherGroup = patched(app, 'ConfigMap', 'taxi-config-', (o) => ({ ...o, data: { ...o.data, TAXI__PROCESSOR__GROUP_ID: 'taxi-processor-v2' } }));
    t.match(kafkaProblems(otherGroup, kafka).join('\n'), /consumerGroup taxi-processor is not the scaled pods' processor\.groupId taxi-processor-v2/, 'KEDA watches the processors\' group');
    const oneBroker = patched(kafka, 'KafkaNodePool', 'broker', (o) => ({ ...o, spec: { ...spec<object>(o), replicas: 1 } }));
    t.match(kafkaProblems(app, oneBroker).join('\n'), /spec\.replicas 3 exceeds the 1 broker/, 'replication needs the brokers');
    const noGroup = patched(kafka, 'KafkaUser', 'taxi-processor', (o) => ({ ...o, spec: { authentication: { type: 'tls' }, authorization: { type: 'simple', acls: [] } } }));
    t.match(kafkaProblems(app, noGroup).join('\n'), /may not Read group taxi-processor/, 'the processors\' user must read its group');

    t.same(promqlErrors(tools, [{ name: 'unclosed', expr: 'sum(rate(taxi_processor_rows_in_total[5m])' }]).map((e) => e.name), ['unclosed'], 'PromQL parser refuses a bad query');
  });
}

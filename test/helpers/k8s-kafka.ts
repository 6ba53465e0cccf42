// Do the services (deploy/k8s) and Kafka (deploy/strimzi) of one environment agree? Topics,
// partitions against replicas and autoscaling, the bootstrap address, the secrets the pods
// mount, and the ACLs each service and KEDA need.
import type { K8sObject } from './k8s-tools.js';
import { granted, ofKind, serviceConfigs, spec } from './k8s-policy.js';
import type { TopicSpec, Workload } from './k8s-policy.js';

interface KafkaSpec {
  kafka: { listeners: { name: string; port: number; tls: boolean; authentication?: { type: string } }[]; config?: Record<string, unknown> };
}
interface ScaledObjectSpec {
  scaleTargetRef: { name: string; kind?: string }; minReplicaCount?: number; maxReplicaCount?: number;
  triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
}

/** Everything about Kafka that two files of an environment could disagree on. */
export function kafkaProblems(app: readonly K8sObject[], kafka: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const clusters = ofKind(kafka, 'Kafka');
  const cluster = clusters[0];
  if (clusters.length !== 1 || !cluster) return [`the Strimzi render should hold one Kafka, found ${clusters.length}`];
  const name = cluster.metadata.name;
  const listener = spec<KafkaSpec>(cluster).kafka.listeners.find((l) => l.tls && l.authentication?.type === 'tls');
  if (!listener) problems.push(`Kafka ${name}: no TLS listener with authentication tls`);
  const bootstrap = `${name}-kafka-bootstrap.${cluster.metadata.namespace ?? 'default'}.svc:${listener?.port ?? '?'}`;
  const caSecret = `${name}-cluster-ca-cert`;

  const brokers = ofKind(kafka, 'KafkaNodePool').filter((p) => spec<{ roles: string[] }>(p).roles.includes('broker'))
    .reduce((n, p) => n + spec<{ replicas: number }>(p).replicas, 0);
  for (const o of kafka.filter((k) => k.kind !== 'Kafka' && k.metadata.labels?.['strimzi.io/cluster'] !== name)) {
    problems.push(`${o.kind} ${o.metadata.name}: metadata.labels["strimzi.io/cluster"] should be ${name}`);
  }
  const config = spec<KafkaSpec>(cluster).kafka.config ?? {};
  for (const key of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) {
    const factor = Number(config[key] ?? 3);
    if (factor > brokers) problems.push(`Kafka ${name}: spec.kafka.config["${key}"] ${factor} exceeds the ${brokers} broker(s)`);
  }
  const topics = new Map(ofKind(kafka, 'KafkaTopic').map((t) => [spec<TopicSpec>(t).topicName ?? t.metadata.name, spec<TopicSpec>(t)]));
  for (const [topic, t] of topics) {
    const replicas = t.replicas ?? brokers;
    const minIsr = Number(t.config?.['min.insync.replicas'] ?? config['min.insync.replicas'] ?? 1);
    if (replicas > brokers) problems.push(`KafkaTopic ${topic}: spec.replicas ${replicas} exceeds the ${brokers} broker(s)`);
    if (minIsr > Math.max(1, replicas - 1)) problems.push(`KafkaTopic ${topic}: min.insync.replicas ${minIsr} leaves no room for a broker down with ${replicas} replicas`);
  }

  const users = new Map(ofKind(kafka, 'KafkaUser').map((u) => [u.metadata.name, u]));
  const userOf = new Map<Workload, string>();
  const groupOf = new Map<Workload, string>();
  const { configs, problems: configProblems } = serviceConfigs(app);
  problems.push(...configProblems);
  for (const [at, { workload, config: c }] of configs) {
    const mounted = (workload.pod.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : []));
    for (const secret of mounted.filter((s) => s !== caSecret && !users.has(s))) problems.push(`${at}: secret ${secret} is neither a KafkaUser's nor ${caSecret}`);
    const user = mounted.find((s) => users.has(s));
    groupOf.set(workload, c.processor.groupId);
    if (user) userOf.set(workload, user);
    else problems.push(`${at}: mounts no KafkaUser's secret (TLS client certificate)`);
    if (!mounted.includes(caSecret)) problems.push(`${at}: does not mount ${caSecret} (to trust the brokers)`);
    if (c.bus.kind !== 'kafka' || c.bus.kafka?.brokers.join(',') !== bootstrap) {
      problems.push(`${at}: bus.kafka.brokers should be ${bootstrap}, got ${c.bus.kafka?.brokers.join(',') ?? `bus.kind ${c.bus.kind}`}`);
    }
    for (const topic of [c.topics.raw, c.topics.manifest, c.topics.dlq]) if (!topics.has(topic)) problems.push(`${at}: topic ${topic} has no KafkaTopic`);
    const raw = topics.get(c.topics.raw);
    const want = (field: string, expected: unknown, got: unknown): void => {
      if (String(expected) !== String(got)) problems.push(`${at}: ${field} is ${String(expected)} in the service's config but ${String(got)} in KafkaTopic ${c.topics.raw}`);
    };
    want('topics.rawPartitions', c.topics.rawPartitions, raw?.partitions);
    want('topics.maxMessageBytes + 65536', c.topics.maxMessageBytes + 65_536, raw?.config?.['max.message.bytes']);
    want('topics.rawRetentionMs', c.topics.rawRetentionMs, raw?.config?.['retention.ms']);
    const manifest = topics.get(c.topics.manifest);
    if (manifest && (manifest.partitions !== 1 || manifest.config?.['cleanup.policy'] !== 'compact')) {
      problems.push(`KafkaTopic ${c.topics.manifest}: should have 1 partition and cleanup.policy compact`);
    }
    const u = users.get(user ?? '');
    const writes = [...topics.keys()].some((topic) => granted(u, 'topic', topic, 'Write'));
    if (writes && c.bus.kafka && !granted(u, 'transactionalId', c.bus.kafka.transactionalId, 'Write')) {
      problems.push(`${at}: KafkaUser ${user ?? '?'} may not Write the transactional id ${c.bus.kafka.transactionalId}`);
    }
  }
  problems.push(...scalingProblems(app, topics, users, { userOf, groupOf }, bootstrap, caSecret));
  return problems;
}

/** Processors never outnumber the partitions; KEDA watches the group the processors use, with a user that may see it. */
function scalingProblems(app: readonly K8sObject[], topics: Map<string, TopicSpec>, users: Map<string, K8sObject>,
  { userOf, groupOf }: { userOf: Map<Workload, string>; groupOf: Map<Workload, string> }, bootstrap: string, caSecret: string): string[] {
  const problems: string[] = [];
  const auths = new Map(ofKind(app, 'TriggerAuthentication').map((a) => [a.metadata.name, a]));
  for (const so of ofKind(app, 'ScaledObject')) {
    const at = `ScaledObject ${so.metadata.name}`;
    const s = spec<ScaledObjectSpec>(so);
    const target = ofKind(app, 'Deployment').find((d) => d.metadata.name === s.scaleTargetRef.name);
    const pods = [...groupOf.keys()].find((w) => w.object === target);
    if (!target) problems.push(`${at}: spec.scaleTargetRef ${s.scaleTargetRef.name} is no Deployment of the render`);
    for (const trigger of s.triggers.filter((tr) => tr.type === 'kafka')) {
      const { topic = '', consumerGroup = '', bootstrapServers = '' } = trigger.metadata;
      const partitions = topics.get(topic)?.partitions;
      if (partitions === undefined) { problems.push(`${at}: trigger topic ${topic} has no KafkaTopic`); continue; }
      if ((s.maxReplicaCount ?? 100) > partitions) problems.push(`${at}: spec.maxReplicaCount ${s.maxReplicaCount ?? '100 (default)'} exceeds the ${partitions} partitions of ${topic}`);
      if ((s.minReplicaCount ?? 0) > (s.maxReplicaCount ?? 100)) problems.push(`${at}: spec.minReplicaCount exceeds spec.maxReplicaCount`);
      const replicas = target ? spec<{ replicas?: number }>(target).replicas : undefined;
      if (target && replicas !== undefined && replicas > partitions) problems.push(`Deployment ${target.metadata.name}: spec.replicas ${replicas} exceeds the ${partitions} partitions of ${topic}`);
      if (bootstrapServers !== bootstrap) problems.push(`${at}: trigger bootstrapServers should be ${bootstrap}, got ${bootstrapServers}`);
      const group = pods && groupOf.get(pods);
      if (group !== consumerGroup) problems.push(`${at}: trigger consumerGroup ${consumerGroup} is not the scaled pods' processor.groupId ${group ?? '(none)'}`);
      const consumer = users.get(pods ? userOf.get(pods) ?? '' : '');
      if (!granted(consumer, 'group', consumerGroup, 'Read') || !granted(consumer, 'topic', topic, 'Read')) {
        problems.push(`${at}: the scaled pods' KafkaUser ${consumer?.metadata.name ?? '(none)'} may not Read group ${consumerGroup} on ${topic}`);
      }
      const auth = auths.get(trigger.authenticationRef?.name ?? '');
      if (!auth) { problems.push(`${at}: trigger authenticationRef names no TriggerAuthentication of the render`); continue; }
      const refs = spec<{ secretTargetRef?: { parameter: string; name: string }[] }>(auth).secretTargetRef ?? [];
      if (refs.find((r) => r.parameter === 'ca')?.name !== caSecret) problems.push(`TriggerAuthentication ${auth.metadata.name}: parameter ca should come from ${caSecret}`);
      const keda = users.get(refs.find((r) => r.parameter === 'cert')?.name ?? '');
      if (!granted(keda, 'topic', topic, 'Describe') || !granted(keda, 'group', consumerGroup, 'Describe')) {
        problems.push(`TriggerAuthentication ${auth.metadata.name}: its KafkaUser ${keda?.metadata.name ?? '(none)'} may not Describe ${topic} and group ${consumerGroup}`);
      }
    }
  }
  return problems;
}

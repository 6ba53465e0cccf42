// Project rules for the rendered manifests that no schema can state: how pods run, that the
// services' config parses, and that the services, KEDA and Strimzi agree on Kafka (topics,
// partitions, users, ACLs, secrets). Each check returns problems as sentences naming the object
// and the field; an empty list passes.
import { loadConfig } from '../../libs/config/src/index.js';
import type { ServiceConfig } from '../../libs/config/src/index.js';
import { messageOf } from '../../libs/errors/src/index.js';
import type { K8sObject } from './k8s-tools.js';

interface SecurityContext {
  runAsNonRoot?: boolean; runAsUser?: number; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean;
  privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type?: string };
}
interface Probe { httpGet?: { path?: string; port?: string | number } }
interface Container {
  name: string; image?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[]; envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext; livenessProbe?: Probe; readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName?: string; securityContext?: SecurityContext; containers: Container[]; initContainers?: Container[];
  volumes?: { name: string; emptyDir?: object; secret?: { secretName: string } }[];
}
interface Selector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
interface Workload { readonly object: K8sObject; readonly where: string; readonly labels: Record<string, string>; readonly pod: PodSpec }
interface Acl { resource: { type: string; name?: string; patternType?: string }; operations: string[]; host?: string }
interface UserSpec { authentication?: { type: string }; authorization?: { type: string; acls?: Acl[] } }
interface TopicSpec { topicName?: string; partitions?: number; replicas?: number; config?: Record<string, unknown> }

// A typed view of a spec that kubeconform has already checked against its schema.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a cast helper by design
const spec = <T>(o: K8sObject): T => o.spec as T;
const ofKind = (objects: readonly K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

/** Pods of Deployments, StatefulSets, DaemonSets, Jobs and CronJobs. */
export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects.flatMap((object) => {
    type Template = { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    const s = object.spec as { template?: Template; jobTemplate?: { spec: { template: Template } } } | undefined;
    const template = object.kind === 'CronJob' ? s?.jobTemplate?.spec.template
      : ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(object.kind) ? s?.template : undefined;
    return template ? [{ object, where: `${object.kind} ${object.metadata.name}`, labels: template.metadata?.labels ?? {}, pod: template.spec }] : [];
  });
}

export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabels && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    return operator === 'Exists' ? value !== undefined : value === undefined;
  });
}

/** Non-root, read-only, no privilege escalation, no capabilities, seccomp, resources, /tmp; probes for Deployments; bounded Jobs. */
export function workloadProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { object, where, labels, pod } of workloads(objects)) {
    for (const c of [...pod.initContainers ?? [], ...pod.containers]) {
      const at = `${where}, container ${c.name}`;
      const sc = c.securityContext ?? {};
      const podSc = pod.securityContext ?? {};
      const fail = (field: string, want: string, got: unknown): void => { problems.push(`${at}: ${field} should be ${want}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`); };
      if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) fail('securityContext.runAsNonRoot', 'true', sc.runAsNonRoot ?? podSc.runAsNonRoot);
      if ((sc.runAsUser ?? podSc.runAsUser) !== 10001) fail('securityContext.runAsUser', '10001 (the image\'s user)', sc.runAsUser ?? podSc.runAsUser);
      if (sc.allowPrivilegeEscalation !== false) fail('securityContext.allowPrivilegeEscalation', 'false', sc.allowPrivilegeEscalation);
      if (sc.readOnlyRootFilesystem !== true) fail('securityContext.readOnlyRootFilesystem', 'true', sc.readOnlyRootFilesystem);
      if (sc.privileged === true) fail('securityContext.privileged', 'false', true);
      if (!sc.capabilities?.drop?.includes('ALL')) fail('securityContext.capabilities.drop', '["ALL"]', sc.capabilities?.drop);
      if ((sc.capabilities?.add ?? []).length > 0) fail('securityContext.capabilities.add', 'empty', sc.capabilities?.add);
      const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') fail('securityContext.seccompProfile.type', 'RuntimeDefault', seccomp);
      for (const field of ['requests.cpu', 'requests.memory', 'limits.memory']) {
        const [kind, name] = field.split('.') as ['requests' | 'limits', string];
        if (c.resources?.[kind]?.[name] === undefined) fail(`resources.${field}`, 'set', undefined);
      }
      if (!c.image) fail('image', 'set', undefined);
      else if (!/^[a-z0-9.-]+\.[a-z]+(:\d+)?\/.+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(c.image) || c.image.endsWith(':latest')) {
        fail('image', 'a registry path with a tag other than latest, or a digest', c.image);
      }
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      if (!tmp || !pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir) fail('volumeMounts /tmp', 'an emptyDir (the root filesystem is read-only)', tmp?.name);
      if (object.kind !== 'Deployment') continue;
      const http = c.ports?.find((p) => p.name === 'http');
      if (http?.containerPort !== 9464) fail('ports[name=http].containerPort', '9464', http?.containerPort);
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        const get = c[probe]?.httpGet;
        if (get?.path !== path || (get.port !== 'http' && get.port !== 9464)) fail(`${probe}.httpGet`, `${path} on port http`, get);
      }
    }
    if (object.kind === 'Job') {
      const job = spec<{ backoffLimit?: number; ttlSecondsAfterFinished?: number }>(object);
      for (const field of ['backoffLimit', 'ttlSecondsAfterFinished'] as const) {
        if (job[field] === undefined) problems.push(`${where}: spec.${field} should be set (a chosen retry count; finished Jobs removed)`);
      }
    }
    if (object.kind === 'Deployment' && !selects(spec<{ selector?: Selector }>(object).selector, labels)) {
      problems.push(`${where}: spec.selector does not select the pod template's labels ${JSON.stringify(labels)}`);
    }
  }
  return problems;
}

/** Each container's environment as the service sees it: envFrom ConfigMaps, then env (valueFrom as a placeholder). */
function containerEnv(objects: readonly K8sObject[], at: string, c: Container, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const map = ofKind(objects, 'ConfigMap').find((m) => m.metadata.name === name);
    if (name && !map) problems.push(`${at}: envFrom configMapRef ${name}: no such ConfigMap in the render`);
    Object.assign(env, map?.data ?? {});
  }
  for (const e of c.env ?? []) {
    env[e.name] = e.value === undefined ? `<${e.name}>` : e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, ref: string) => env[ref] ?? `$(${ref})`);
  }
  return env;
}

/** The services' config of every container that has TAXI__ variables, parsed by libs/config as at start-up. */
export function serviceConfigs(objects: readonly K8sObject[]): { configs: Map<string, { workload: Workload; config: ServiceConfig }>; problems: string[] } {
  const configs = new Map<string, { workload: Workload; config: ServiceConfig }>();
  const problems: string[] = [];
  for (const workload of workloads(objects)) {
    for (const c of workload.pod.containers) {
      const at = `${workload.where}, container ${c.name}`;
      const env = containerEnv(objects, at, c, problems);
      if (!Object.keys(env).some((k) => k.startsWith('TAXI__'))) continue;
      try {
        const config = loadConfig({ env });
        configs.set(at, { workload, config });
        const http = c.ports?.find((p) => p.name === 'http')?.containerPort;
        if (http !== undefined && config.http.port !== http) problems.push(`${at}: http.port is ${config.http.port} in the config but the port named http is ${http}`);
      } catch (error) {
        problems.push(`${at}: ${messageOf(error)}`);
      }
    }
  }
  return { configs, problems };
}

/** Users authenticate with TLS; ACLs name real topics, no wildcard, no All, nothing cluster-wide. */
export function aclProblems(kafka: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const topics = new Set(ofKind(kafka, 'KafkaTopic').map((t) => spec<TopicSpec>(t).topicName ?? t.metadata.name));
  for (const user of ofKind(kafka, 'KafkaUser')) {
    const at = `KafkaUser ${user.metadata.name}`;
    const s = spec<UserSpec>(user);
    if (s.authentication?.type !== 'tls') problems.push(`${at}: spec.authentication.type should be tls, got ${s.authentication?.type ?? 'nothing'}`);
    if (s.authorization?.type !== 'simple') problems.push(`${at}: spec.authorization.type should be simple, got ${s.authorization?.type ?? 'nothing'}`);
    (s.authorization?.acls ?? []).forEach((acl, i) => {
      const field = `${at}: spec.authorization.acls[${i}]`;
      const { type, name = '', patternType = 'literal' } = acl.resource;
      if (acl.operations.includes('All')) problems.push(`${field}.operations should name operations, not All`);
      if (name === '*' || (patternType === 'prefix' && name === '')) problems.push(`${field}.resource.name should not match everything, got "${name}"`);
      if (type === 'cluster') problems.push(`${field}.resource.type cluster: no service needs a cluster-wide operation`);
      if (type === 'topic' && patternType === 'literal' && !topics.has(name)) problems.push(`${field}.resource.name: no KafkaTopic ${name}`);
      if (acl.host !== undefined && acl.host !== '*') problems.push(`${field}.host: pods have no fixed address, got ${acl.host}`);
    });
  }
  return problems;
}

/** Whether `user` may do `operation` on a resource (literal or prefix match). */
export function granted(user: K8sObject | undefined, type: string, name: string, operation: string): boolean {
  if (!user) return false;
  return (spec<UserSpec>(user).authorization?.acls ?? []).some((acl) =>
    acl.resource.type === type && acl.operations.includes(operation)
    && (acl.resource.patternType === 'prefix' ? name.startsWith(acl.resource.name ?? '') : acl.resource.name === name));
}

export { ofKind, spec };
export type { Acl, Container, PodSpec, Selector, TopicSpec, UserSpec, Workload };

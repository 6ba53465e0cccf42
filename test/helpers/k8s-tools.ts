// The offline manifest tools test/tools/install-k8s-tools.sh installs (kustomize, kubeconform
// with Kubernetes and CRD schemas, promql-check), found in the cache and run on rendered YAML.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const INSTALL_HINT = 'run `bash test/tools/install-k8s-tools.sh` (needs Go, Maven, Python; see the script)';

export interface K8sTools {
  readonly dir: string;
  readonly kustomize: string;
  readonly kubeconform: string;
  readonly promqlCheck: string;
  readonly kubernetesVersion: string;
  readonly versions: string;
}

/** The install key: test/tools/install-k8s-tools.sh computes the same over the same files. */
export function installKey(): string {
  const base = join(repoRoot, 'test', 'tools');
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(base, path)];
  });
  const files = ['install-k8s-tools.sh', ...walk(join(base, 'k8s'))].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(base, file)));
  return hash.digest('hex').slice(0, 16);
}

/** The installed tools, or why they cannot be used (missing, or installed by another version of the script). */
export function findK8sTools(cacheDir = process.env.TAXI_CACHE_DIR ?? join(homedir(), '.cache', 'taxi-stream')): K8sTools | { readonly problem: string } {
  const dir = join(cacheDir, 'tools', 'k8s');
  const keyFile = join(dir, 'key');
  if (!existsSync(keyFile)) return { problem: `the Kubernetes validation tools are not installed in ${dir}: ${INSTALL_HINT}` };
  const installed = readFileSync(keyFile, 'utf8').trim();
  if (installed !== installKey()) {
    return { problem: `the tools in ${dir} were installed by another version of test/tools (key ${installed}, expected ${installKey()}): ${INSTALL_HINT}` };
  }
  return {
    dir,
    kustomize: join(dir, 'bin', 'kustomize'),
    kubeconform: join(dir, 'bin', 'kubeconform'),
    promqlCheck: join(dir, 'bin', 'promql-check'),
    kubernetesVersion: readFileSync(join(dir, 'kubernetes-version'), 'utf8').trim(),
    versions: readFileSync(join(dir, 'versions.txt'), 'utf8').trim(),
  };
}

function run(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { cwd: repoRoot, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** `kustomize build <dir>` (dir relative to the repository root). */
export function render(tools: K8sTools, dir: string): string {
  return run(tools.kustomize, ['build', dir]);
}

/** A Kubernetes object as far as the checks read it; shapes are trusted once kubeconform passed them. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly spec?: unknown;
  readonly data?: Record<string, string>;
}

export function parseObjects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml).map((doc) => doc.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
}

export interface SchemaResult {
  readonly filename: string;
  readonly kind: string;
  readonly name: string;
  readonly status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  readonly msg?: string;
}

/**
 * Validates every document of every file against the Kubernetes schemas, then the CRD schemas,
 * strictly (unknown fields and duplicate keys are errors). A kind with no schema is an error
 * ("could not find schema"), never skipped. One kubeconform run for all files, so each schema
 * compiles once. Returns the results by the files' keys.
 */
export function validateSchemas(tools: K8sTools, files: Readonly<Record<string, string>>): Map<string, SchemaResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-kubeconform-'));
  try {
    const paths = new Map(Object.entries(files).map(([key, yaml], i) => {
      const path = join(dir, `${i}.yaml`);
      writeFileSync(path, yaml);
      return [path, key];
    }));
    const schemas = join(tools.dir, 'schemas');
    const out = spawnSync(tools.kubeconform, [
      '-strict', '-verbose', '-output', 'json', '-kubernetes-version', tools.kubernetesVersion,
      '-schema-location', `${schemas}/kubernetes/{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json`,
      '-schema-location', `${schemas}/crd/{{.ResourceKind}}{{.KindSuffix}}.json`,
      ...paths.keys(),
    ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (out.error) throw new Error(`kubeconform could not run: ${out.error.message}`);
    // Exit status 1 means "some resource invalid": the JSON says which.
    const report = JSON.parse(out.stdout) as { resources: SchemaResult[] | null };
    const results = new Map<string, SchemaResult[]>(Object.keys(files).map((key) => [key, []]));
    for (const r of report.resources ?? []) results.get(paths.get(r.filename) ?? '')?.push(r);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Query { readonly name: string; readonly expr: string }

/** Each PromQL expression that Prometheus' parser refuses, with the parser's message. */
export function promqlErrors(tools: K8sTools, queries: readonly Query[]): { name: string; error: string }[] {
  const checked = JSON.parse(run(tools.promqlCheck, [], JSON.stringify(queries))) as { name: string; error: string }[];
  return checked.filter((q) => q.error !== '');
}

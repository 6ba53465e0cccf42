// Makes the JSON schema files kubeconform reads, offline (run by test/tools/install-k8s-tools.sh):
//   kubernetes <from-dir> <to-dir>    Kubernetes' own schemas, from the kubernetes-validate wheel
//   crds <to-dir> <object-meta.json> <crd.yaml>...   custom resources, from their CRDs
// Output file names follow kubeconform's template {{.ResourceKind}}{{.KindSuffix}}.json:
// <kind>-<first label of the group>-<version>.json, e.g. kafkatopic-kafka-v1.json.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Schema = { [key: string]: unknown };

const isSchema = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * kubernetes-validate's schemas carry an https://kubernetes.io/... $id and refer to
 * "/api/_definitions.json#/$defs/...", which only its own resolver maps to a file. Dropping the
 * ids makes each ref resolve against the file itself; the ref then names the sibling file.
 */
function kubernetes(fromDir: string, toDir: string): void {
  mkdirSync(toDir, { recursive: true });
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isSchema(node)) return node;
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$id') continue;
      out[key] = key === '$ref' && typeof value === 'string' ? value.replace(/^\/api\/_definitions\.json#/, '_definitions.json#') : rewrite(value);
    }
    return out;
  };
  for (const file of readdirSync(fromDir).filter((f) => f.endsWith('.json'))) {
    writeFileSync(join(toDir, file), JSON.stringify(rewrite(JSON.parse(readFileSync(join(fromDir, file), 'utf8')))));
  }
}

/**
 * A CRD's openAPIV3Schema as a strict JSON schema (draft 4, which OpenAPI 3.0 follows):
 * objects with declared properties refuse undeclared ones unless the CRD keeps unknown fields,
 * `nullable` admits null, int-or-string admits both. CEL rules (x-kubernetes-validations) are
 * not evaluated: only the API server can.
 */
function strict(node: Schema): Schema {
  const out: Schema = { ...node };
  const each = (value: unknown): unknown => (Array.isArray(value) ? value.map(each) : isSchema(value) ? strict(value) : value);
  for (const key of ['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf']) if (key in out) out[key] = each(out[key]);
  if (isSchema(out.properties)) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, each(v)]));
  if (out.properties !== undefined && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  if (out['x-kubernetes-int-or-string'] === true && out.anyOf === undefined && out.type === undefined) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function crds(toDir: string, objectMeta: string, files: readonly string[]): void {
  mkdirSync(toDir, { recursive: true });
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd: unknown = doc.toJS();
      if (!isSchema(crd) || crd.kind !== 'CustomResourceDefinition') continue;
      const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
      for (const version of spec.versions) {
        const schema = strict(version.schema.openAPIV3Schema);
        const properties = schema.properties as Schema;
        properties.apiVersion = { type: 'string', enum: [`${spec.group}/${version.name}`] };
        properties.kind = { type: 'string', enum: [spec.names.kind] };
        properties.metadata = { $ref: relative(toDir, objectMeta) };
        schema.required = [...new Set(['apiVersion', 'kind', 'metadata', ...(schema.required as string[] | undefined ?? [])])];
        const name = `${spec.names.kind.toLowerCase()}-${spec.group.split('.')[0] ?? ''}-${version.name}.json`;
        writeFileSync(join(toDir, name), JSON.stringify(schema));
      }
    }
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'kubernetes' && args.length === 2) kubernetes(args[0]!, args[1]!);
else if (mode === 'crds' && args.length >= 3) crds(args[0]!, args[1]!, args.slice(2));
else {
  process.stderr.write('usage: schemas.ts kubernetes <from-dir> <to-dir> | crds <to-dir> <object-meta.json> <crd.yaml>...\n');
  process.exit(2);
}

// Terraform checks that need neither terraform nor the Google provider (neither is installable
// offline): every .tf file parsed by HCL's own parser (@cdktf/hcl2json, Go's hashicorp/hcl
// compiled to WebAssembly), then the project's rules on the parsed configuration.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** One parsed .tf file. hcl2json gives blocks as arrays and expressions as "${...}" strings. */
export interface TfFile {
  /** Path relative to the root that was loaded. */
  readonly path: string;
  /** Absolute directory (a Terraform module is a directory). */
  readonly dir: string;
  readonly json: TfJson;
}

type Block = Record<string, unknown>;
export interface TfJson {
  readonly resource?: Record<string, Record<string, Block[]>>;
  readonly variable?: Record<string, Block[]>;
  readonly output?: Record<string, Block[]>;
  readonly module?: Record<string, Block[]>;
  readonly locals?: Block[];
}

function tfFiles(root: string): string[] {
  return readdirSync(root).sort().flatMap((name) => {
    const path = join(root, name);
    if (statSync(path).isDirectory()) return name === '.terraform' ? [] : tfFiles(path);
    return name.endsWith('.tf') ? [path] : [];
  });
}

/** Parses every .tf file under root; a file HCL rejects is a problem naming the file and position. */
export async function loadTerraform(root: string): Promise<{ files: TfFile[]; problems: string[] }> {
  const files: TfFile[] = [];
  const problems: string[] = [];
  const base = resolve(root);
  for (const path of tfFiles(base)) {
    const name = relative(base, path);
    try {
      files.push({ path: name, dir: dirname(path), json: (await parse(name, readFileSync(path, 'utf8'))) as TfJson });
    } catch (error) {
      problems.push(`${name}: HCL syntax error: ${error instanceof Error ? error.message.replace(/^parse config: /, '') : String(error)}`);
    }
  }
  if (files.length + problems.length === 0) problems.push(`no .tf file under ${root}`);
  return { files, problems };
}

function blocksOf(files: readonly TfFile[], type: string, dir?: string): { file: TfFile; name: string; block: Block }[] {
  return files.filter((f) => dir === undefined || f.dir === dir).flatMap((file) =>
    Object.entries(file.json.resource?.[type] ?? {}).flatMap(([name, blocks]) => blocks.map((block) => ({ file, name, block }))));
}

function localsOf(files: readonly TfFile[], dir: string): Record<string, unknown> {
  return Object.assign({}, ...files.filter((f) => f.dir === dir).flatMap((f) => f.json.locals ?? [])) as Record<string, unknown>;
}

export interface SchemaColumn {
  readonly name: string;
  readonly type: string;
  readonly mode?: string;
  readonly description?: string;
}

export interface BigQueryExpectations {
  /** The schema file as `npm run gen:schema` writes it (renderSchema()). */
  readonly schemaText: string;
  readonly partitionField: string;
  readonly clusterFields: readonly string[];
  /** Path of the schema file, relative to the module directory. */
  readonly schemaFile?: string;
}

/** What differs between the generated schema (code) and the file terraform reads, column by column. */
export function schemaDrift(code: readonly SchemaColumn[], file: readonly SchemaColumn[]): string[] {
  const problems: string[] = [];
  const inFile = new Map(file.map((c) => [c.name, c]));
  const inCode = new Map(code.map((c) => [c.name, c]));
  for (const column of code) {
    const other = inFile.get(column.name);
    if (!other) { problems.push(`column ${column.name} (${column.type}) is missing`); continue; }
    if (other.type !== column.type) problems.push(`column ${column.name} is ${other.type} in the file, ${column.type} in the code`);
    if ((other.mode ?? 'NULLABLE') !== (column.mode ?? 'NULLABLE')) problems.push(`column ${column.name} is ${other.mode ?? 'NULLABLE'} in the file, ${column.mode ?? 'NULLABLE'} in the code`);
    if (other.description !== column.description) problems.push(`column ${column.name} has another description`);
  }
  for (const column of file) if (!inCode.has(column.name)) problems.push(`column ${column.name} is not in the code`);
  if (problems.length === 0 && code.map((c) => c.name).join() !== file.map((c) => c.name).join()) problems.push('the columns are in another order');
  return problems;
}

/**
 * The BigQuery module: its google_bigquery_table reads its schema from the generated file
 * (directly or through a local), that file is what the code generates now, and partitioning and
 * clustering are the code's.
 */
export function bigQueryProblems(moduleDir: string, files: readonly TfFile[], expected: BigQueryExpectations): string[] {
  const dir = resolve(moduleDir);
  const schemaFile = expected.schemaFile ?? 'schemas/trips.json';
  const tables = blocksOf(files, 'google_bigquery_table', dir);
  if (tables.length === 0) return [`${moduleDir}: no google_bigquery_table resource`];
  const problems: string[] = [];
  const locals = localsOf(files, dir);
  const fileCall = `file("\${path.module}/${schemaFile}")`;
  for (const { file, name, block } of tables) {
    const at = `${file.path}: google_bigquery_table.${name}`;
    let schema = typeof block.schema === 'string' ? block.schema : '';
    for (const [, local] of schema.matchAll(/\blocal\.(\w+)/g)) schema += ` ${JSON.stringify(locals[local!] ?? '')}`;
    if (!schema.replace(/\\"/g, '"').includes(fileCall)) problems.push(`${at}: schema is not read from ${fileCall}, the file npm run gen:schema writes`);

    const partitioning = (block.time_partitioning ?? []) as Block[];
    const part = partitioning[0];
    if (partitioning.length !== 1 || !part) problems.push(`${at}: expected one time_partitioning block`);
    else {
      if (part.type !== 'DAY') problems.push(`${at}: time_partitioning.type is ${String(part.type)}, expected DAY`);
      if (part.field !== expected.partitionField) problems.push(`${at}: time_partitioning.field is ${String(part.field)}, the code partitions by ${expected.partitionField} (PROCESSED_PARTITION_FIELD)`);
    }
    const clustering = block.clustering;
    if (JSON.stringify(clustering) !== JSON.stringify(expected.clusterFields)) {
      problems.push(`${at}: clustering is ${JSON.stringify(clustering)}, the code clusters by ${JSON.stringify(expected.clusterFields)} (PROCESSED_CLUSTER_FIELDS)`);
    }
  }

  const path = join(dir, schemaFile);
  if (!existsSync(path)) return [...problems, `${schemaFile} is missing from ${moduleDir}: run npm run gen:schema`];
  const text = readFileSync(path, 'utf8');
  if (text !== expected.schemaText) {
    let drift: string[];
    try {
      drift = schemaDrift(JSON.parse(expected.schemaText) as SchemaColumn[], JSON.parse(text) as SchemaColumn[]);
    } catch (error) {
      drift = [`it is not valid JSON (${error instanceof Error ? error.message : String(error)})`];
    }
    problems.push(`${schemaFile} differs from the code (libs/schema/src/processed.ts; run npm run gen:schema): ${drift.length > 0 ? drift.join('; ') : 'formatting only'}`);
  }
  const columns = JSON.parse(expected.schemaText) as SchemaColumn[];
  const partitionColumn = columns.find((c) => c.name === expected.partitionField);
  if (!partitionColumn) problems.push(`the partitioning column ${expected.partitionField} is not in the schema`);
  else if (!['DATE', 'TIMESTAMP', 'DATETIME'].includes(partitionColumn.type)) problems.push(`the partitioning column ${expected.partitionField} is ${partitionColumn.type}; BigQuery partitions by DATE, TIMESTAMP or DATETIME`);
  for (const field of expected.clusterFields) if (!columns.some((c) => c.name === field)) problems.push(`the clustering column ${field} is not in the schema`);
  return problems;
}

const PROJECT_IAM_TYPES = ['google_project_iam_member', 'google_project_iam_binding', 'google_project_iam_policy'];
/** Roles that grant data access and so must be bound on a bucket or a dataset, never a project. */
const DATA_ROLE = /^roles\/(storage\.|bigquery\.(dataEditor|dataOwner|dataViewer|admin|user))/;

/** The roles a resource grants: a literal, or each.value over a literal list/set. */
function rolesOf(block: Block): string[] | undefined {
  const role = block.role;
  if (typeof role !== 'string') return undefined;
  if (!role.includes('${')) return [role];
  if (role === '${each.value}' && typeof block.for_each === 'string' && /^\$\{(toset\()?\[[^\]$]*\]\)?\}$/s.test(block.for_each)) {
    return [...block.for_each.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  }
  return undefined;
}

/** No project-wide data access: storage and BigQuery data roles go on the bucket or dataset. */
export function projectIamProblems(files: readonly TfFile[]): string[] {
  const problems: string[] = [];
  for (const type of PROJECT_IAM_TYPES) {
    for (const { file, name, block } of blocksOf(files, type)) {
      const at = `${file.path}: ${type}.${name}`;
      if (type !== 'google_project_iam_member') { problems.push(`${at}: authoritative project IAM (${type}) would remove bindings made elsewhere; use google_project_iam_member`); continue; }
      const roles = rolesOf(block);
      if (!roles) { problems.push(`${at}: cannot tell which role it grants (${String(block.role)}); use a literal role or for_each over a literal list`); continue; }
      for (const role of roles.filter((r) => DATA_ROLE.test(r))) problems.push(`${at}: grants ${role} on the whole project; bind it on the bucket or the dataset`);
    }
  }
  return problems;
}

const MODULE_META = new Set(['source', 'version', 'providers', 'depends_on', 'count', 'for_each']);

/** Every "${...}" expression string inside a parsed value. */
function expressions(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('${') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(expressions);
  if (value && typeof value === 'object') return Object.values(value).flatMap(expressions);
  return [];
}

function declared(files: readonly TfFile[], dir: string, kind: 'variable' | 'output' | 'module'): Map<string, Block> {
  return new Map(files.filter((f) => f.dir === dir).flatMap((f) => Object.entries(f.json[kind] ?? {}).map(([name, blocks]) => [name, blocks[0] ?? {}] as [string, Block])));
}

/**
 * What `terraform validate` would catch about names, checked per directory: every var.X, local.X
 * and module.M.O used is declared; every argument given to a local module is one of its
 * variables, and every variable it requires (no default) is given.
 */
export function referenceProblems(files: readonly TfFile[]): string[] {
  const problems: string[] = [];
  const dirs = [...new Set(files.map((f) => f.dir))];
  for (const dir of dirs) {
    const variables = declared(files, dir, 'variable');
    const locals = localsOf(files, dir);
    const modules = declared(files, dir, 'module');
    for (const file of files.filter((f) => f.dir === dir)) {
      for (const expression of expressions(file.json)) {
        for (const [, name] of expression.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g)) {
          if (!variables.has(name!)) problems.push(`${file.path}: var.${name} is not declared (no variable "${name}" block in its directory)`);
        }
        for (const [, name] of expression.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g)) {
          if (!(name! in locals)) problems.push(`${file.path}: local.${name} is not defined`);
        }
        for (const [, module, output] of expression.matchAll(/(?<![\w.])module\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)/g)) {
          const call = modules.get(module!);
          if (!call) { problems.push(`${file.path}: module.${module} is not declared`); continue; }
          const source = typeof call.source === 'string' && call.source.startsWith('.') ? resolve(dir, call.source) : undefined;
          if (source && !declared(files, source, 'output').has(output!)) problems.push(`${file.path}: module.${module}.${output}: ${call.source as string} has no output "${output}"`);
        }
      }
      for (const [name, blocks] of Object.entries(file.json.module ?? {})) {
        const call = blocks[0] ?? {};
        if (typeof call.source !== 'string' || !call.source.startsWith('.')) continue;
        const source = resolve(dir, call.source);
        const inputs = declared(files, source, 'variable');
        if (inputs.size === 0 && !files.some((f) => f.dir === source)) { problems.push(`${file.path}: module "${name}": no Terraform files at ${call.source}`); continue; }
        for (const argument of Object.keys(call).filter((k) => !MODULE_META.has(k))) {
          if (!inputs.has(argument)) problems.push(`${file.path}: module "${name}" passes ${argument}, which ${call.source} does not declare`);
        }
        for (const [input, block] of inputs) {
          if (!('default' in block) && !(input in call)) problems.push(`${file.path}: module "${name}" does not pass ${input}, which ${call.source} requires`);
        }
      }
    }
  }
  return problems;
}

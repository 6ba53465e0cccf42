// terraform/, checked offline (terraform, OpenTofu's validate and the Google provider cannot be
// installed here): HCL's parser on every file, the BigQuery table against the code's schema,
// no project-wide data roles, names declared before use, tflint's terraform ruleset, and HCL's
// formatter. Fixtures under test/deploy/fixtures/terraform prove each check can fail.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { PROCESSED_CLUSTER_FIELDS, PROCESSED_PARTITION_FIELD } from '../../libs/schema/src/processed.js';
import { renderSchema, TERRAFORM_SCHEMA_PATH } from '../../scripts/gen-schema.js';
import { findBuildTool, repoRoot, runTool } from '../helpers/build-tools.js';
import type { TfFile } from '../helpers/terraform-checks.js';
import { bigQueryProblems, loadTerraform, projectIamProblems, referenceProblems } from '../helpers/terraform-checks.js';

const TERRAFORM = join(repoRoot, 'terraform');
const TFLINT_CONFIG = join(TERRAFORM, '.tflint.hcl');
const fixture = (name: string): string => join(repoRoot, 'test', 'deploy', 'fixtures', 'terraform', name);
const expected = { schemaText: renderSchema(), partitionField: PROCESSED_PARTITION_FIELD, clusterFields: PROCESSED_CLUSTER_FIELDS };

const loaded = await loadTerraform(TERRAFORM);
const files: TfFile[] = loaded.files;

function tfPaths(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tfPaths(path) : name.endsWith('.tf') ? [path] : [];
  });
}

t.test('every .tf file under terraform/ parses', async (t) => {
  t.same(loaded.problems, []);
  const dirs = new Set(files.map((f) => relative(TERRAFORM, f.dir)));
  for (const dir of ['modules/storage', 'modules/bigquery', 'modules/iam', 'modules/gke', 'modules/registry', 'envs/dev', 'envs/prod']) {
    t.ok(dirs.has(dir), `${dir} is there`);
  }
});

t.test('a syntax error fails, naming the file and position', async (t) => {
  const { files: parsed, problems } = await loadTerraform(fixture('syntax-error'));
  t.same(parsed, []);
  t.match(problems, [/^main\.tf: HCL syntax error: .*main\.tf:2,\d+-\d+: Unclosed configuration block/]);
});

t.test('the BigQuery table is the code\'s: generated schema file, partitioning, clustering', async (t) => {
  t.equal(TERRAFORM_SCHEMA_PATH, join(TERRAFORM, 'modules', 'bigquery', 'schemas', 'trips.json'), 'npm run gen:schema writes the file the module reads');
  t.same(bigQueryProblems(join(TERRAFORM, 'modules', 'bigquery'), files, expected), []);
});

t.test('schema drift and other partitioning or clustering fail, naming what differs', async (t) => {
  const dir = fixture('bigquery-drift');
  const { files: parsed } = await loadTerraform(dir);
  const problems = bigQueryProblems(dir, parsed, expected);
  t.match(problems, [
    /google_bigquery_table\.inline: schema is not read from file\("\$\{path\.module\}\/schemas\/trips\.json"\)/,
    /google_bigquery_table\.inline: time_partitioning\.type is HOUR, expected DAY/,
    /google_bigquery_table\.inline: time_partitioning\.field is pickup_datetime, the code partitions by pickup_date/,
    /google_bigquery_table\.trips: clustering is \["dropoff_zone"\], the code clusters by \["pickup_zone"\]/,
    /schemas\/trips\.json differs from the code .*run npm run gen:schema.*column trip_distance is NUMERIC in the file, FLOAT64 in the code.*column tip_pct \(FLOAT64\) is missing/,
  ]);
});

t.test('IAM: storage and BigQuery data roles are bound on buckets and the dataset, never the project', async (t) => {
  t.same(projectIamProblems(files), []);
  const iam = files.filter((f) => f.path.startsWith('modules/iam/'));
  const workloads = iam.flatMap((f) => f.json.locals ?? []).find((l) => 'workloads' in l)?.workloads as Record<string, { bucket: string; bigquery_data: boolean }>;
  t.same(Object.fromEntries(Object.entries(workloads).map(([name, w]) => [name, w.bucket])), {
    ingestor: '${var.raw_bucket}', processor: '${var.processed_bucket}', replay: '${var.processed_bucket}',
  }, 'objectAdmin: the ingestor on raw, the processor and replay on processed');
  t.same(Object.entries(workloads).filter(([, w]) => w.bigquery_data).map(([name]) => name), ['processor', 'replay'], 'dataEditor on the dataset: processor and replay only');
  const bindings = iam.flatMap((f) => Object.keys(f.json.resource ?? {}));
  t.same(bindings.sort(), ['google_bigquery_dataset_iam_member', 'google_project_iam_member', 'google_service_account', 'google_service_account_iam_member', 'google_storage_bucket_iam_member'].sort());
  const wi = iam.flatMap((f) => f.json.resource?.google_service_account_iam_member?.workload_identity ?? [])[0];
  t.equal(wi?.role, 'roles/iam.workloadIdentityUser');
  t.match(wi?.member, /serviceAccount:\$\{var\.project_id\}\.svc\.id\.goog\[\$\{var\.k8s_namespace\}\//, 'Workload Identity member is <project>.svc.id.goog[<namespace>/<ksa>]');
});

t.test('project-level data roles and authoritative project IAM fail', async (t) => {
  const { files: parsed } = await loadTerraform(fixture('project-iam'));
  t.same(projectIamProblems(parsed), [
    'main.tf: google_project_iam_member.ingestor_storage: grants roles/storage.objectAdmin on the whole project; bind it on the bucket or the dataset',
    'main.tf: google_project_iam_member.processor: grants roles/bigquery.dataEditor on the whole project; bind it on the bucket or the dataset',
    'main.tf: google_project_iam_binding.owners: authoritative project IAM (google_project_iam_binding) would remove bindings made elsewhere; use google_project_iam_member',
  ]);
});

t.test('every variable, local, module output and module argument used is declared', async (t) => {
  t.same(referenceProblems(files), []);
  const { files: parsed } = await loadTerraform(fixture('undeclared'));
  t.same(referenceProblems(parsed).sort(), [
    'env/main.tf: local.label is not defined',
    'env/main.tf: module "thing" does not pass size, which ../modules/thing requires',
    'env/main.tf: module "thing" passes color, which ../modules/thing does not declare',
    'env/main.tf: module.thing.url: ../modules/thing has no output "url"',
    'modules/thing/main.tf: var.locaton is not declared (no variable "locaton" block in its directory)',
  ]);
});

t.test('the remote state is configurable: an empty gcs backend in each environment', async (t) => {
  for (const env of ['dev', 'prod']) {
    const text = readFileSync(join(TERRAFORM, 'envs', env, 'versions.tf'), 'utf8');
    t.match(text, /backend "gcs" \{\}/, `envs/${env}: bucket and prefix come from -backend-config`);
    t.match(text, /source\s+= "hashicorp\/google"\s+version\s+= "~> 7\.0"/, `envs/${env}: google provider pinned to 7.x`);
  }
});

/** tflint's issues as "file:line: rule: message" lines (its --format json). */
function tflint(binary: string, args: readonly string[], cwd: string): { status: number; issues: string[] } {
  const result = runTool(binary, ['--format', 'json', '--config', TFLINT_CONFIG, ...args], { cwd });
  const report = JSON.parse(result.stdout || '{"issues":[],"errors":[]}') as {
    issues: { rule: { name: string }; message: string; range: { filename: string; start: { line: number } } }[];
    errors: { message: string }[];
  };
  return {
    status: result.status,
    issues: [...report.issues.map((i) => `${i.range.filename}:${i.range.start.line}: ${i.rule.name}: ${i.message}`), ...report.errors.map((e) => e.message)],
  };
}

t.test('tflint (built-in terraform ruleset, preset all) finds nothing, and flags the lint fixture', async (t) => {
  const tool = findBuildTool('tflint');
  if (!('path' in tool)) { t.fail(tool.problem); return; }
  const clean = tflint(tool.path, ['--recursive'], TERRAFORM);
  t.same(clean.issues, []);
  t.equal(clean.status, 0);
  const bad = tflint(tool.path, [], fixture('lint'));
  t.not(bad.status, 0);
  t.match(bad.issues.join('\n'), /terraform_typed_variables: `unused` variable has no type/);
  t.match(bad.issues.join('\n'), /terraform_unused_declarations: variable "unused" is declared but not used/);
  t.match(bad.issues.join('\n'), /terraform_required_providers/);
});

t.test('every .tf file is formatted as terraform fmt formats it (HCL\'s hclfmt)', async (t) => {
  const tool = findBuildTool('hclfmt');
  if (!('path' in tool)) { t.fail(tool.problem); return; }
  const paths = tfPaths(TERRAFORM).map((p) => relative(repoRoot, p));
  const clean = runTool(tool.path, ['-check', '-require-no-change', ...paths]);
  t.equal(clean.status, 0, `hclfmt: ${clean.stderr}`);
  const bad = runTool(tool.path, ['-check', '-require-no-change', relative(repoRoot, join(fixture('lint'), 'main.tf'))]);
  t.not(bad.status, 0);
  t.match(bad.stderr, /file\(s\) were changed: test\/deploy\/fixtures\/terraform\/lint\/main\.tf/);
});

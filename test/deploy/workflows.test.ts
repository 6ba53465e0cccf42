// .github/workflows, checked offline: actionlint (with shellcheck on run: scripts) and the
// project's rules, then what each workflow is for: CI runs .ci/run, the image goes to Artifact
// Registry through Workload Identity Federation, terraform applies prod only after approval,
// the manifests are rendered and checked. Fixtures prove the checks can fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { findBuildTool, findShellcheck, repoRoot } from '../helpers/build-tools.js';
import { actionlint, formatActionlint, parseWorkflow, steps, triggers, workflowPolicyProblems } from '../helpers/workflow-checks.js';
import type { Workflow } from '../helpers/workflow-checks.js';

const WORKFLOWS = join(repoRoot, '.github', 'workflows');
const FIXTURES = join(repoRoot, 'test', 'deploy', 'fixtures', 'workflows');
const names = readdirSync(WORKFLOWS).filter((n) => /\.ya?ml$/.test(n)).sort();
const workflows = new Map<string, Workflow>(names.map((n) => [n, parseWorkflow(readFileSync(join(WORKFLOWS, n), 'utf8'))]));
const workflow = (name: string): Workflow => workflows.get(name) ?? {};

t.test('the four workflows are there', async (t) => {
  t.same(names, ['ci.yml', 'image.yml', 'manifests.yml', 'terraform.yml']);
});

t.test('actionlint passes every workflow and rejects a broken one, naming each problem', async (t) => {
  const tool = findBuildTool('actionlint');
  const shellcheck = findShellcheck();
  if (!('path' in tool)) { t.fail(tool.problem); return; }
  if (!('path' in shellcheck)) { t.fail(shellcheck.problem); return; }
  const errors = actionlint(tool.path, shellcheck.path, names.map((n) => join('.github', 'workflows', n)), repoRoot);
  t.same(errors, [], formatActionlint(errors));

  const broken = actionlint(tool.path, shellcheck.path, ['broken.yml'], FIXTURES);
  t.match(broken, [
    { line: 15, kind: 'syntax-check', message: /unexpected key "timeout-minute" for "job" section/ },
    { line: 19, kind: 'action', message: /input "fetch-dept" is not defined in action "actions\/checkout@v6"/ },
    { line: 20, kind: 'expression', message: /property "evnt" is not defined/ },
    { line: 21, kind: 'shellcheck', message: /SC2086/ },
  ], formatActionlint(broken));
});

t.test('the project\'s workflow rules hold, and a workflow breaking them fails', async (t) => {
  for (const [name, parsed] of workflows) t.same(workflowPolicyProblems(`.github/workflows/${name}`, parsed, repoRoot), [], name);
  const bad = parseWorkflow(readFileSync(join(FIXTURES, 'unpinned.yml'), 'utf8'));
  t.same(workflowPolicyProblems('unpinned.yml', bad, repoRoot), [
    'unpinned.yml: no top-level permissions (the token would get the repository default); declare the least it needs',
    'unpinned.yml: job test: no timeout-minutes (the default is 6 hours)',
    'unpinned.yml: job test, step 1: actions/checkout@main should be pinned to a major version (@vN) or a commit',
    'unpinned.yml: job test, step 2: run: test/tools/no-such-script.sh does not exist in the repository',
  ]);
});

t.test('ci.yml runs .ci/run on pull requests and pushes, and lints the workflows', async (t) => {
  const ci = workflow('ci.yml');
  t.same(triggers(ci).sort(), ['pull_request', 'push']);
  t.ok(steps(ci).some(({ step }) => step.run?.trim() === 'bash .ci/run'), 'a step runs bash .ci/run (README: npm test)');
  t.ok(steps(ci).some(({ step }) => /\/actionlint"?\s/.test(step.run ?? '')), 'a step runs actionlint');
});

t.test('image.yml pushes deploy/Dockerfile\'s image on main through Workload Identity Federation', async (t) => {
  const image = workflow('image.yml');
  t.match(image.on, { push: { branches: ['main'] } });
  t.match(image.permissions, { 'id-token': 'write', contents: 'read' });
  const auth = steps(image).find(({ step }) => step.uses?.startsWith('google-github-actions/auth@'))?.step;
  t.ok(auth?.with?.workload_identity_provider, 'auth uses a workload identity provider');
  t.notOk(auth?.with?.credentials_json, 'no service account key');
  const build = steps(image).find(({ step }) => step.uses?.startsWith('docker/build-push-action@'))?.step;
  t.match(build?.with, { context: '.', file: 'deploy/Dockerfile', push: true });
});

t.test('terraform.yml checks every environment on pull requests and applies prod behind approval', async (t) => {
  const tf = workflow('terraform.yml');
  const jobs = tf.jobs ?? {};
  const runs = (id: string): string => (jobs[id]?.steps ?? []).map((s) => s.run ?? '').join('\n');
  t.match(runs('validate'), /terraform fmt -check/);
  t.match(runs('validate'), /terraform validate/);
  t.match(runs('plan'), /terraform plan/);
  t.same(jobs.validate?.strategy?.matrix?.env, ['dev', 'prod']);
  const applyProd = Object.entries(jobs).find(([id]) => id === 'apply-prod')?.[1] as ({ environment?: unknown; needs?: unknown } | undefined);
  t.equal(applyProd?.environment, 'prod', 'apply in prod waits for the prod environment\'s reviewers');
  t.match(runs('apply-prod'), /terraform apply tfplan/);
  const ifs = Object.fromEntries(Object.entries(jobs).map(([id, j]) => [id, (j as { if?: string }).if]));
  t.match(ifs.plan, /pull_request/);
  t.match(ifs['apply-dev'], /github\.ref == 'refs\/heads\/main'/);
  t.equal(applyProd?.needs, 'apply-dev', 'prod is applied after dev');
});

t.test('manifests.yml renders with kubectl kustomize and runs the deploy tests', async (t) => {
  const manifests = steps(workflow('manifests.yml')).map(({ step }) => step.run ?? '').join('\n');
  t.match(manifests, /kubectl kustomize/);
  t.match(manifests, /npx tap --disable-coverage test\/deploy\//);
});

// GitHub Actions workflow checks: actionlint (syntax, expressions and their types, action inputs,
// shellcheck on run: scripts) and the project's rules (actions pinned by major version or commit,
// explicit permissions, a timeout on every job, and every repository path a workflow names exists).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runTool } from './build-tools.js';

export interface ActionlintError {
  readonly message: string;
  readonly filepath: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

/** actionlint's errors for the given workflow files (empty: clean). */
export function actionlint(binary: string, shellcheck: string, files: readonly string[], cwd: string): ActionlintError[] {
  const result = runTool(binary, ['-no-color', '-shellcheck', shellcheck, '-format', '{{json .}}', ...files], { cwd });
  if (result.status === 0) return [];
  try {
    const errors = JSON.parse(result.stdout) as ActionlintError[];
    if (errors.length > 0) return errors;
  } catch { /* reported below */ }
  throw new Error(`actionlint exited ${result.status}: ${result.stdout}${result.stderr}`);
}

export function formatActionlint(errors: readonly ActionlintError[]): string {
  return errors.map((e) => `${e.filepath}:${e.line}:${e.column}: [${e.kind}] ${e.message}`).join('\n');
}

interface Step { readonly uses?: string; readonly run?: string; readonly with?: Record<string, unknown>; readonly 'working-directory'?: string }
interface Job {
  readonly uses?: string;
  readonly steps?: readonly Step[];
  readonly 'timeout-minutes'?: unknown;
  readonly strategy?: { readonly matrix?: Record<string, unknown> };
  readonly defaults?: { readonly run?: { readonly 'working-directory'?: string } };
}
export interface Workflow {
  readonly name?: string;
  readonly on?: unknown;
  readonly permissions?: unknown;
  readonly jobs?: Record<string, Job>;
}

export function parseWorkflow(text: string): Workflow {
  return parse(text) as Workflow;
}

const PINNED = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+|[0-9a-f]{40})$/;

/** Values a `${{ matrix.X }}` can take, from the job's matrix (lists and include entries). */
function matrixValues(job: Job, key: string): string[] {
  const matrix = job.strategy?.matrix ?? {};
  const values = Array.isArray(matrix[key]) ? (matrix[key] as unknown[]) : [];
  const include = Array.isArray(matrix.include) ? (matrix.include as Record<string, unknown>[]) : [];
  return [...values, ...include.map((entry) => entry[key])].filter((v) => v !== undefined).map(String);
}

/** A path with `${{ matrix.X }}` expanded over the matrix; undefined when other expressions remain. */
function expandPaths(job: Job, path: string): string[] | undefined {
  const match = /\$\{\{\s*matrix\.(\w+)\s*\}\}/.exec(path);
  if (!match) return path.includes('${{') ? undefined : [path];
  return matrixValues(job, match[1]!).flatMap((value) => expandPaths(job, path.replace(match[0], value)) ?? []);
}

/** The project's rules for one workflow file; root is the repository the paths are relative to. */
export function workflowPolicyProblems(file: string, workflow: Workflow, root: string): string[] {
  const problems: string[] = [];
  if (workflow.permissions === undefined) problems.push(`${file}: no top-level permissions (the token would get the repository default); declare the least it needs`);
  const exists = (job: Job, where: string, path: string): void => {
    for (const expanded of expandPaths(job, path) ?? []) {
      if (!existsSync(join(root, expanded))) problems.push(`${where}: ${expanded} does not exist in the repository`);
    }
  };
  for (const [id, job] of Object.entries(workflow.jobs ?? {})) {
    const at = `${file}: job ${id}`;
    if (job.uses === undefined && job['timeout-minutes'] === undefined) problems.push(`${at}: no timeout-minutes (the default is 6 hours)`);
    if (job.uses !== undefined && !job.uses.startsWith('./') && !PINNED.test(job.uses)) problems.push(`${at}: ${job.uses} should be pinned to a major version (@vN) or a commit`);
    const jobDir = job.defaults?.run?.['working-directory'];
    if (jobDir) exists(job, `${at}: defaults.run.working-directory`, jobDir);
    for (const [index, step] of (job.steps ?? []).entries()) {
      const where = `${at}, step ${index + 1}`;
      if (step.uses !== undefined && !step.uses.startsWith('./') && !step.uses.startsWith('docker://') && !PINNED.test(step.uses)) {
        problems.push(`${where}: ${step.uses} should be pinned to a major version (@vN) or a commit`);
      }
      if (step.uses?.startsWith('docker://') && (/:latest$/.test(step.uses) || !/:[^/]+$/.test(step.uses))) problems.push(`${where}: ${step.uses} should name a version tag`);
      for (const key of ['file', 'node-version-file'] as const) {
        const value = step.with?.[key];
        if (typeof value === 'string') exists(job, `${where}: with.${key}`, value);
      }
      if (step['working-directory']) exists(job, `${where}: working-directory`, step['working-directory']);
      const dir = step['working-directory'] ?? jobDir;
      for (const [, script] of (step.run ?? '').matchAll(/\bbash\s+([\w./-]+\.sh)\b/g)) {
        if (!dir || script!.startsWith('/')) exists(job, `${where}: run`, script!);
      }
    }
  }
  return problems;
}

/** The names of a workflow's triggers, whatever form `on:` takes. */
export function triggers(workflow: Workflow): string[] {
  const on = workflow.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return on && typeof on === 'object' ? Object.keys(on) : [];
}

/** Every step of every job, with its job id. */
export function steps(workflow: Workflow): { job: string; step: Step }[] {
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, j]) => (j.steps ?? []).map((step) => ({ job, step })));
}

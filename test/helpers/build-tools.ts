// The linters test/tools/install-build-tools.sh installs (hadolint, actionlint, tflint, hclfmt),
// found in its cache and checked against the versions the script pins. A tool that is missing or
// of another version is a failure that says to run the script, never a skipped check.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const BUILD_TOOLS_SCRIPT = 'test/tools/install-build-tools.sh';
export const BUILD_TOOLS_HINT = `run \`bash ${BUILD_TOOLS_SCRIPT}\` (needs Go and Python with venv)`;

export type BuildTool = 'hadolint' | 'actionlint' | 'tflint' | 'hclfmt';

const PIN_VARIABLES: Record<BuildTool, string> = {
  hadolint: 'HADOLINT_VERSION',
  actionlint: 'ACTIONLINT_VERSION',
  tflint: 'TFLINT_VERSION',
  hclfmt: 'HCL_VERSION',
};

/** The version the install script pins for a tool (read from the script: one source of truth). */
export function pinnedVersion(tool: BuildTool): string {
  const script = readFileSync(join(repoRoot, BUILD_TOOLS_SCRIPT), 'utf8');
  const match = new RegExp(`^${PIN_VARIABLES[tool]}=(\\S+)`, 'm').exec(script);
  if (!match?.[1]) throw new Error(`${BUILD_TOOLS_SCRIPT} has no ${PIN_VARIABLES[tool]}= line`);
  return match[1];
}

export type Found = { readonly path: string } | { readonly problem: string };

/** The installed tool, or why it cannot be used. */
export function findBuildTool(tool: BuildTool, cacheDir = process.env.TAXI_CACHE_DIR ?? join(homedir(), '.cache', 'taxi-stream')): Found {
  const tools = join(cacheDir, 'tools');
  const path = join(tools, 'bin', tool);
  const stamp = join(tools, 'installed', tool);
  if (!existsSync(path) || !existsSync(stamp)) return { problem: `${tool} is not installed in ${join(tools, 'bin')}: ${BUILD_TOOLS_HINT}` };
  const installed = readFileSync(stamp, 'utf8').trim();
  const pinned = pinnedVersion(tool);
  if (installed !== pinned) return { problem: `${tool} ${installed} is installed but ${BUILD_TOOLS_SCRIPT} pins ${pinned}: ${BUILD_TOOLS_HINT}` };
  return { path };
}

/** shellcheck from PATH (a Debian package); actionlint only checks `run:` scripts when it has one. */
export function findShellcheck(): Found {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, 'shellcheck');
    if (dir && existsSync(path)) return { path };
  }
  return { problem: `shellcheck is not on PATH (actionlint needs it to check run: scripts): ${BUILD_TOOLS_HINT}, or apt-get install shellcheck` };
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to completion; a tool that cannot start at all throws. */
export function runTool(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000,
  });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

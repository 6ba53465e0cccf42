// The baselines' Python environment: a venv with bench/baselines/requirements.txt, installed by the
// benchmark itself from PyPI on first use and cached under $TAXI_CACHE_DIR (default
// ~/.cache/taxi-stream) as bench-venv-<key>, the key hashing the pins, the interpreter's version
// and RECIPE (as test/servers/bigquery.sh keys the emulator's venv). It is built in a temporary
// folder and renamed into place, so an interrupted install is never taken for a finished one and
// two benchmarks installing at once do not mix files (the second rename loses and is dropped).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Bump when the install steps below change, so that cached venvs are rebuilt. */
const RECIPE = 1;
const CANDIDATES = ['python3.11', 'python3.12', 'python3.13', 'python3'];

export interface BaselineVenv {
  /** The venv's interpreter. */
  readonly python: string;
  readonly pythonVersion: string;
  readonly venv: string;
  /** false when this run installed it. */
  readonly cached: boolean;
  readonly installSeconds?: number;
  /** package -> pinned version, from requirements.txt. */
  readonly packages: Readonly<Record<string, string>>;
}

interface Interpreter { readonly executable: string; readonly version: string; readonly fullVersion: string }

/** BENCH_PYTHON, else the first of CANDIDATES that is Python >= 3.11. */
function pickPython(): Interpreter {
  const candidates = process.env.BENCH_PYTHON ? [process.env.BENCH_PYTHON] : CANDIDATES;
  for (const candidate of candidates) {
    const r = spawnSync(candidate, ['-c', 'import sys; assert sys.version_info >= (3, 11); print(sys.executable); print("%d.%d.%d" % sys.version_info[:3]); print(sys.version)'], { encoding: 'utf8' });
    const [executable, version, fullVersion] = r.status === 0 ? r.stdout.split('\n') : [];
    if (executable && version && fullVersion) return { executable, version, fullVersion };
  }
  throw new Error(`the baselines need Python >= 3.11 with venv (tried ${candidates.join(', ')}; set BENCH_PYTHON)`);
}

export function pins(requirements: string): Record<string, string> {
  return Object.fromEntries(requirements.split('\n').map((l) => /^([A-Za-z0-9_.-]+)==(\S+)/.exec(l.trim())).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-8_000); });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with status ${code}:\n${stderr.trim()}`));
    });
  });
}

let pending: Promise<BaselineVenv> | undefined;
let ready: BaselineVenv | undefined;

/** The venv, installed on the first call (later calls share it). */
export function baselineVenv(root: string, say: (message: string) => void): Promise<BaselineVenv> {
  pending ??= install(root, say).then((v) => { ready = v; return v; }, (error: unknown) => { pending = undefined; throw error; });
  return pending;
}

/** The venv if a scope asked for it during this run. */
export function baselineVenvUsed(): BaselineVenv | undefined { return ready; }

async function install(root: string, say: (message: string) => void): Promise<BaselineVenv> {
  const requirementsPath = join(root, 'bench', 'baselines', 'requirements.txt');
  const requirements = readFileSync(requirementsPath, 'utf8');
  const interpreter = pickPython();
  const key = createHash('sha256').update(`${requirements}\n${interpreter.fullVersion}\nrecipe=${RECIPE}\n`).digest('hex').slice(0, 12);
  const cache = process.env.TAXI_CACHE_DIR ?? join(homedir(), '.cache', 'taxi-stream');
  const venv = join(cache, `bench-venv-${key}`);
  const base = { python: join(venv, 'bin', 'python'), pythonVersion: interpreter.version, venv, packages: pins(requirements) };
  if (existsSync(join(venv, '.installed'))) return { ...base, cached: true };

  mkdirSync(cache, { recursive: true });
  const partial = `${venv}.partial-${process.pid}`;
  say(`installing the baselines' Python packages (pandas, pyarrow, duckdb, polars) into ${venv} with ${interpreter.executable} ${interpreter.version}`);
  const t0 = performance.now();
  try {
    rmSync(partial, { recursive: true, force: true });
    await run(interpreter.executable, ['-m', 'venv', partial]);
    // Through `python -m pip`: the venv's bin/pip script names the temporary folder in its shebang.
    await run(join(partial, 'bin', 'python'), ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--quiet', '--only-binary=:all:', '-r', requirementsPath]);
    await run(join(partial, 'bin', 'python'), ['-c', 'import duckdb, pandas, polars, pyarrow']);
    writeFileSync(join(partial, '.installed'), `${new Date().toISOString()}\n`);
    try {
      renameSync(partial, venv);
    } catch (error) {
      if (!existsSync(join(venv, '.installed'))) throw error;
      // another benchmark finished the same venv first: use that one
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  const installSeconds = (performance.now() - t0) / 1000;
  for (const stale of readdirSync(cache).filter((d) => d.startsWith('bench-venv-') && d !== `bench-venv-${key}` && !d.includes('.partial-'))) {
    rmSync(join(cache, stale), { recursive: true, force: true });
  }
  say(`installed the baselines' venv in ${installSeconds.toFixed(1)} s`);
  return { ...base, cached: false, installSeconds };
}

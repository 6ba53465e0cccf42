// The taxi command as the container image runs it: compiled JavaScript (dist/, `npm run build`),
// started by bin/taxi.js with its node flags, the native codec and the shipped samples beside it.
// A checkout's `npx taxi` runs the TypeScript sources through tsx instead, whose loading costs about
// a second of each run's start and CPU in every worker thread; the figures are of what is deployed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARROW_RS_NATIVE_PATH, assertArrowRsBuilt } from '../../libs/parquet/src/arrow-rs-native.js';
import { taxiNodeFlags } from './env.js';

/**
 * Lays out deploy/Dockerfile's runtime stage in a new temporary directory: package.json, bin/,
 * dist/ (tsc -p tsconfig.build.json, as the build stage), dist/libs/parquet/native/ (the checkout's
 * module, from the same cargo build the native stage runs), dist/data/samples/, and node_modules (a
 * link to the checkout's). Returns the directory; `remove()` deletes it.
 */
export function layOutRuntime(root: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-bench-runtime-'));
  const remove = (): void => { rmSync(dir, { recursive: true, force: true }); };
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { cwd: root, stdio: 'pipe' });
    assertArrowRsBuilt();
    mkdirSync(join(dir, 'dist', 'libs', 'parquet', 'native'), { recursive: true });
    copyFileSync(ARROW_RS_NATIVE_PATH, join(dir, 'dist', 'libs', 'parquet', 'native', 'taxi-parquet.node'));
    cpSync(join(root, 'data', 'samples'), join(dir, 'dist', 'data', 'samples'), { recursive: true });
    cpSync(join(root, 'bin'), join(dir, 'bin'), { recursive: true });
    copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } catch (error) {
    remove();
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`could not lay out the compiled taxi command (npm run build's tsc, the native module, samples): ${error instanceof Error ? error.message : String(error)}${output ? `\n${output}` : ''}`, { cause: error });
  }
  return { dir, remove };
}

/** What the taxi commands run, for the results. */
export const TAXI_CODE = 'the compiled dist/ (npm run build), not the TypeScript sources a checkout\'s `npx taxi` runs through tsx (about a second more start-up, and more CPU in every worker thread)';

let runtime: { root: string; dir: string } | undefined;

/**
 * The node arguments that run the taxi command as the image does: bin/taxi.js's flags, then the
 * compiled layout's bin/taxi.js (whose sources are absent, so it runs dist/). Laid out on first use
 * and removed when the harness exits.
 */
export function taxiCommand(root: string): string[] {
  if (runtime?.root !== root) {
    const laid = layOutRuntime(root);
    process.once('exit', laid.remove);
    runtime = { root, dir: laid.dir };
  }
  return [...taxiNodeFlags(root), join(runtime.dir, 'bin', 'taxi.js')];
}

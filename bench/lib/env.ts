import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The bench's own environment without any TAXI_… settings, so a shell's config cannot leak into a child. */
export function cleanEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TAXI_')) env[key] = value;
  return { ...env, ...extra };
}

/**
 * The node flags of bin/taxi.js's first line (`#!/usr/bin/env -S node <flags>`), with which `npx taxi`
 * and the container image run the command.
 */
export function taxiNodeFlags(root: string): string[] {
  const first = readFileSync(join(root, 'bin', 'taxi.js'), 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --\S+)*)$/.exec(first);
  if (!m) throw new Error(`bin/taxi.js: first line ${JSON.stringify(first)} is not #!/usr/bin/env -S node [--flags]`);
  return (m[1] ?? '').split(' ').filter(Boolean);
}

/** Arguments that run a TypeScript file of this repository in a child node. */
export const tsChild = (root: string, file: string, args: readonly string[]): string[] => ['--import', 'tsx', join(root, file), ...args];

/**
 * The glibc malloc settings the container image runs every service with (deploy/Dockerfile's
 * MALLOC_* ENV), so the processor's memory is measured as it runs when deployed.
 */
export function imageMallocEnv(root: string): Record<string, string> {
  const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
  return Object.fromEntries([...dockerfile.matchAll(/^\s*(MALLOC_[A-Z_]+)=(\S+?)\s*\\?$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** The line the scopes that run the processor add to their notes. */
export function imageMallocNote(root: string): string {
  const settings = Object.entries(imageMallocEnv(root)).map(([k, v]) => `${k}=${v}`).join(', ');
  return `the processor runs with the container image's glibc malloc settings (deploy/Dockerfile: ${settings}), as deployed`;
}

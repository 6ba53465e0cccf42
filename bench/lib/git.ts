// The commit, and a fingerprint of the code the children run (HEAD, uncommitted changes and new
// files under bin, libs, services), taken before and after the run: a tree edited while the
// benchmark runs gives figures of no single version, and the output says so.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const CODE = ['bin', 'libs', 'services', 'package.json'];

export function git(root: string, args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 }).trim();
  } catch {
    return '';
  }
}

export function codeFingerprint(root: string): string {
  const hash = createHash('sha256');
  hash.update(git(root, ['rev-parse', 'HEAD']));
  hash.update(git(root, ['diff', 'HEAD', '--binary', '--', ...CODE]));
  for (const file of git(root, ['ls-files', '--others', '--exclude-standard', '--', ...CODE]).split('\n').filter(Boolean)) {
    try {
      const s = statSync(join(root, file));
      hash.update(`${file} ${s.size} ${s.mtimeMs}\n`);
    } catch {
      hash.update(`${file} gone\n`);
    }
  }
  return hash.digest('hex');
}

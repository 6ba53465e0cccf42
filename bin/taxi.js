#!/usr/bin/env -S node --initial-old-space-size=256
// The `taxi` command. In a checkout it runs the TypeScript sources through tsx; in the
// container image (sources absent, dist/ compiled by `npm run build`) it runs the compiled code.
//
// The node flags of the first line are part of the command: the image's ENTRYPOINT and the
// benchmark run it with the same ones (test/deploy/dockerfile.test.ts checks the ENTRYPOINT).
// --initial-old-space-size: V8 collects the old generation whenever it outgrows a limit set from
// the live heap, which here is small (tens of MB of objects) while GBs of Arrow buffers pass
// through; a 256 MB floor halves the full collections of the main thread (84 -> 42 on a month, by
// --trace-gc). `taxi run` of the full synthetic month, runs interleaved on 2 cores: 18.9-20.1 s wall
// and 27-28 s user CPU with it, 21.3-21.8 s and 31-32 s without, at the same peak RSS.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `taxi needs Node.js 24 or later, got ${process.version} (${process.execPath}).\n` +
      'Run it as `npx taxi` from the repository (npm ci installs Node 24 into node_modules/.bin), ' +
      'or put Node 24 first on PATH.\n',
  );
  process.exit(2);
}

const source = fileURLToPath(new URL('../services/cli/src/main.ts', import.meta.url));
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import('../dist/services/cli/src/main.js');
}

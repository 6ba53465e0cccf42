#!/usr/bin/env node
// The `taxi` command. In a checkout it runs the TypeScript sources through tsx; in the
// container image (sources absent, dist/ compiled by `npm run build`) it runs the compiled code.
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

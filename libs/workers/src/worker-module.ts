import { fileURLToPath } from 'node:url';

/**
 * Where a worker task module lives and how to start it: the compiled .js when running from dist/,
 * the .ts source (with tsx, which maps the sources' .js import specifiers to .ts) in a checkout.
 */
export function workerModule(tsUrl: URL): { filename: string; execArgv: string[] } {
  const running = fileURLToPath(import.meta.url);
  if (running.endsWith('.js')) {
    return { filename: fileURLToPath(tsUrl).replace(/\.ts$/, '.js'), execArgv: [] };
  }
  return { filename: fileURLToPath(tsUrl), execArgv: ['--import', 'tsx'] };
}

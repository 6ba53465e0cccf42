/**
 * The environment for a `taxi` child a test spawns, with coverage off: tap's processinfo (which
 * every child loads through NODE_OPTIONS) records it unless _TAPJS_PROCESSINFO_COVERAGE_ is '0';
 * NODE_V8_COVERAGE goes too. In a checkout
 * bin/taxi.js compiles the sources with tsx, while tap loads the same files in its own processes
 * with ts-node, and the two emit different JavaScript for each file. The coverage report (c8)
 * merges every process's V8 ranges by file and maps them with one process's source map, so ranges
 * of one compiler's output read through the other's map garble the report: in three CI runs every
 * source came out as one line and the function threshold failed. These children are checked by
 * what they do; the code they run is covered by the in-process tests.
 */
export function cliEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _coverage, ...rest } = env;
  return { ...rest, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}

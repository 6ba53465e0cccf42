import { readFileSync } from 'node:fs';
import { AppError, messageOf } from '../../errors/src/index.js';

type Tree = Record<string, unknown>;

/** Reads a JSON config file. Errors: TAXI_ERR_CONFIG_INVALID naming the file. */
export function readConfigFile(path: string): Tree {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the top level should be a JSON object');
    return parsed as Tree;
  } catch (error) {
    throw new AppError('TAXI_ERR_CONFIG_INVALID', `config file ${path} cannot be used: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Environment variables `TAXI__BUS__KAFKA__BROKERS=a:9092,b:9092` become
 * `{ bus: { kafka: { brokers: … } } }`: `__` separates levels, names are camel-cased from
 * SNAKE_CASE. A value is JSON when it parses as JSON (numbers, booleans, arrays), else the string;
 * a comma-separated string is split when the target is an array (the schema decides: see coerce).
 */
export function configFromEnv(env: NodeJS.ProcessEnv, prefix = 'TAXI__'): Tree {
  const tree: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name.slice(prefix.length).split('__').map(camel);
    setPath(tree, path, parseScalar(raw));
  }
  return tree;
}

function camel(part: string): string {
  return part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseScalar(raw: string): unknown {
  try { return JSON.parse(raw) as unknown; } catch { return raw; }
}

export function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  path.forEach((key, i) => {
    if (i === path.length - 1) { node[key] = value; return; }
    const next = node[key];
    node = next !== null && typeof next === 'object' && !Array.isArray(next) ? next as Tree : (node[key] = {});
  });
}

/** Deep merge: later sources win; arrays are replaced, not concatenated. */
export function merge(...trees: Tree[]): Tree {
  const out: Tree = {};
  for (const tree of trees) {
    for (const [key, value] of Object.entries(tree)) {
      const current = out[key];
      out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current)
        ? merge(current as Tree, value as Tree) : value;
    }
  }
  return out;
}

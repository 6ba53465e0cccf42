import type { z } from 'zod';
import { AppError } from '../../errors/src/index.js';

/**
 * The input value at a zod issue's path. Where the path goes below a plain value (a list given as
 * the string "a,b" and split by the schema, whose issue names item 1), that value is the one shown.
 */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return value;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** Keys whose values never reach a log or an error message. */
const SECRET = /(password|secret|token|credential|private.?key|sasl)/i;

function shown(path: readonly PropertyKey[], value: unknown): string {
  if (value === undefined) return 'nothing';
  if (path.some((p) => SECRET.test(String(p)))) return '[redacted]';
  return JSON.stringify(value);
}

/**
 * Parses options against a zod schema, applying defaults, and freezes the result. A bad input
 * throws one TAXI_ERR_CONFIG_INVALID listing every bad key as
 * `<name>.<dotted.path>: <what was expected>, got <value>` (secrets redacted); unknown keys are
 * errors when the schema is strict.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, name: string): Readonly<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return Object.freeze(result.data);
  const lines = result.error.issues.map((issue) => {
    const path = [name, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${path}: ${issue.message}`;
    return `${path}: ${issue.message}, got ${shown(issue.path, valueAt(input, issue.path))}`;
  });
  throw new AppError('TAXI_ERR_CONFIG_INVALID', `invalid ${name} configuration:\n  ${lines.join('\n  ')}`, { cause: result.error });
}

/** A copy of a config with secret-looking keys replaced, for logs and /status. */
export function redact(value: unknown, path: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v, i) => redact(v, [...path, String(i)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET.test(k) ? '[redacted]' : redact(v, [...path, k])]));
  }
  return value;
}

import { AppError } from '../../errors/src/index.js';

/** GCS's limit on an object name, which the local adapter shares so keys move between stores. */
export const MAX_KEY_BYTES = 1024;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Why `key` is not a valid object key, or undefined when it is. */
function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} UTF-8 bytes`;
  if (CONTROL_CHARS.test(key)) return 'it contains a control character';
  if (key.startsWith('/')) return 'it starts with "/" (keys are relative)';
  const segments = key.split('/');
  if (segments.includes('')) return 'it has an empty segment ("//" or a trailing "/")';
  const dotted = segments.find((segment) => segment.startsWith('.'));
  if (dotted !== undefined) return `segment "${dotted}" starts with "." (rules out "." and "..")`;
  return undefined;
}

function invalid(what: string, value: string, location: string, problem: string): AppError {
  return new AppError('TAXI_ERR_OBJECT_KEY_INVALID', `object ${what} ${JSON.stringify(value)} in ${location} is invalid: ${problem}`, {
    context: { key: value },
  });
}

/**
 * Checks an object key against the port's rules (see `ObjectStore` in types.ts).
 * Throws TAXI_ERR_OBJECT_KEY_INVALID (not retryable) naming the key and the rule it breaks.
 */
export function validateKey(key: string, location: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw invalid('key', key, location, problem);
  return key;
}

/**
 * Checks a list/delete prefix: the empty string, or a key optionally ending with `/`.
 * With `allowEmpty: false` the empty prefix is refused too (deletePrefix).
 */
export function validatePrefix(prefix: string, location: string, allowEmpty = true): string {
  if (prefix === '') {
    if (allowEmpty) return prefix;
    throw invalid('prefix', prefix, location, 'it is empty, which would delete every object');
  }
  const problem = keyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem !== undefined) throw invalid('prefix', prefix, location, problem);
  return prefix;
}

/** Compares keys as GCS orders them: by the bytes of their UTF-8 encoding. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

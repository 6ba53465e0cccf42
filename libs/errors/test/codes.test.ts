import { readFileSync } from 'node:fs';
import t from 'tap';
import { AppError, ERROR_CODES, isAppError, messageOf } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const sections = new Map(
  docs.split(/^## /m).slice(1).map((section) => {
    const [title = '', ...body] = section.split('\n');
    return [title.trim(), body.join('\n')] as const;
  }),
);

t.test('every code is unique and documented with how to solve it', async (t) => {
  t.equal(new Set(ERROR_CODES).size, ERROR_CODES.length, 'no code appears twice');
  for (const code of ERROR_CODES) {
    t.match(code, /^TAXI_ERR_[A-Z]+_[A-Z_]+$/, `${code} follows TAXI_ERR_<AREA>_<CONDITION>`);
    const body = sections.get(code);
    t.ok(body, `${code} has a section in docs/errors.md`);
    t.match(body ?? '', /How to solve: \S/, `${code} says how to solve it`);
  }
  for (const documented of sections.keys()) {
    t.ok((ERROR_CODES as readonly string[]).includes(documented), `docs/errors.md section ${documented} is a real code`);
  }
});

t.test('AppError carries code, retryable, cause and context', async (t) => {
  const cause = new Error('socket hang up');
  const err = new AppError('TAXI_ERR_SOURCE_UNREADABLE', 'could not read x.parquet', {
    retryable: true,
    cause,
    context: { file: 'x.parquet', rowGroup: 2 },
  });
  t.ok(isAppError(err));
  t.equal(err.code, 'TAXI_ERR_SOURCE_UNREADABLE');
  t.equal(err.retryable, true);
  t.equal(err.cause, cause);
  t.same(err.toJSON(), {
    name: 'AppError', code: 'TAXI_ERR_SOURCE_UNREADABLE', message: 'could not read x.parquet',
    retryable: true, file: 'x.parquet', rowGroup: 2,
  });
  t.equal(new AppError('TAXI_ERR_CLI_USAGE', 'x').retryable, false, 'not retryable unless said');
  t.notOk(isAppError(cause));
  t.equal(messageOf(cause), 'socket hang up');
  t.equal(messageOf('plain'), 'plain');
});

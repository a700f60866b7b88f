// Which errors mean "the database is away" (503 database-unavailable with Retry-After), which
// mean "busy" (503 unavailable), and which stay bugs (500): api/errors.ts fromDatabaseError.
import test from 'ava';
import { FROM_DATABASE, fromDatabaseError } from '../../api/errors.ts';
import { toAppError } from '../../api/http/problem.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('connection losses and refusals from the database answer 503 database-unavailable with Retry-After', (t) => {
  const refused = withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
  (refused as { [FROM_DATABASE]?: boolean })[FROM_DATABASE] = true;
  const cases = [
    refused,
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P02'),
    withCode('57P03', 'the database system is starting up'),
    withCode('08006'),
    withCode('08001'),
    new Error('select 1 - Connection terminated unexpectedly'),
    new Error('Client has encountered a connection error and is not queryable'),
    // knex's acquire timeout after every attempt to connect failed: tarn keeps the last failure.
    Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError', cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') }),
  ];
  for (const error of cases) {
    const problem = fromDatabaseError(error);
    t.is(problem?.code, 'database-unavailable', error.message);
    t.is(problem?.status, 503);
    t.true(Number(problem?.extra?.retry_after) > 0);
  }
});

test('a full pool and pgbouncer’s queue timeout stay the overload answer (503 unavailable)', (t) => {
  const full = Object.assign(new Error('Knex: Timeout acquiring a connection.'), {
    name: 'KnexTimeoutError',
    cause: new Error('operation timed out for an unknown reason'),
  });
  t.is(fromDatabaseError(full)?.code, 'unavailable');
  t.is(fromDatabaseError(withCode('08P01', 'query_wait_timeout'))?.code, 'unavailable');
  t.is(fromDatabaseError(withCode('53300', 'sorry, too many clients already'))?.code, 'unavailable');
});

test('the same socket errors from anything but a database connection stay 500 (a mail relay or storage is not the database)', (t) => {
  t.is(toAppError(withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:587')).code, 'internal');
  t.is(toAppError(withCode('ECONNRESET')).code, 'internal');
  t.is(toAppError(withCode('42601', 'syntax error')).code, 'internal');
});

// A database the CLI cannot use is a one-line message that says what to do, not a driver's stack.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { freePort } from '../../api/db/embedded-server.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';

const noStack = /\n\s+at /;
/** oclif wraps a long message to the terminal's width. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ');

test('a database that does not exist: the message names it and says what to do', async (t) => {
  const { config } = testEnv();
  const url = new URL(config.databaseUrl as string);
  url.pathname = `/edify_missing_${randomBytes(4).toString('hex')}`;
  const result = await edify(['serve', '--port', '0'], { env: { DATABASE_URL: url.href, APP_DATABASE_URL: url.href, LOG_LEVEL: 'warn' } });
  t.not(result.code, 0);
  t.regex(oneLine(result.stderr), /database "edify_missing_[0-9a-f]{8}" does not exist\. Create it \(createdb\), or point DATABASE_URL at one that exists\./);
  t.notRegex(result.stderr, noStack);
  t.notRegex(result.stderr, /Acquire connection error/);
});

test('a server that cannot be reached: one line, no stack', async (t) => {
  const port = await freePort();
  const url = `postgres://edify@127.0.0.1:${port}/edify`;
  const result = await edify(['db:migrate'], { env: { DATABASE_URL: url, APP_DATABASE_URL: url, LOG_LEVEL: 'warn' } });
  t.not(result.code, 0);
  t.regex(oneLine(result.stderr), /PostgreSQL cannot be reached \(.*ECONNREFUSED.*\)\. Is it running, and are the host and port in DATABASE_URL right\?/);
  t.notRegex(result.stderr, noStack);
});

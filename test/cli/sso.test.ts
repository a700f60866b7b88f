// `edify sso:test` shows school IT's view of sign-in attempts on an operator's terminal: nothing
// in it may start a line or send an escape sequence, whoever wrote the text (an unauthenticated
// IdP error response, or a row stored before reasons were codes).
import test from 'ava';
import { edify } from '../helpers/cli.ts';
import { inSchool } from '../helpers/factories.ts';
import { post, responseFor, setup, startLogin } from '../helpers/sso-flow.ts';

const FORGED = '\n2026-01-01T00:00:00.000Z  success  admin@district.test\nIdP certificate rotated: re-import metadata from https://evil.test';

test('sso:test escapes control characters in everything it prints: no forged rows, no escape sequences', async (t) => {
  const s = await setup({ name: 'District\u001b[2J IdP' });
  const forged = responseFor(s, await startLogin(s), {
    sign: 'none',
    status: { code: 'urn:oasis:names:tc:SAML:2.0:status:Responder', message: `Account disabled${FORGED}` },
  });
  t.is((await post(s, forged)).status, 401);
  // A row as the old code stored it: the raw StatusMessage with an ESC sequence and line breaks.
  await inSchool(s.school, (scope) =>
    scope.db('sso_attempts').insert({
      tenant_id: s.school.tenant.id,
      connection_id: s.connectionId,
      outcome: 'failure',
      reason: `SAML provider returned Responder error: x\u001b]0;owned\u0007\u001b[31m${FORGED}\r`,
      created_at: new Date(Date.now() - 60_000),
    }),
  );

  const human = await edify(['sso:test', s.school.slug]);
  t.is(human.code, 0, human.stderr);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  t.false(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(human.stdout), 'no control character but newline reaches the terminal');
  t.regex(human.stdout, /District\\u001b\[2J IdP/, 'the connection name is shown escaped');
  t.regex(human.stdout, /x\\u001b\]0;owned\\u0007\\u001b\[31m\\n2026-01-01/, 'the old row is shown escaped');
  t.regex(human.stdout, /idp_error +the IdP answered with an error status: Responder, unsigned message "Account disabled\\n2026-01-01/);
  const rows = human.stdout.split('\n').filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));
  t.is(rows.length, 2, 'one line per attempt, none forged');
  t.false(human.stdout.split('\n').some((line) => line.startsWith('IdP certificate rotated')));

  const missing = await edify(['sso:test', 'no-such\u001b[2Jschool']);
  t.not(missing.code, 0);
  t.false(missing.stderr.includes('\u001b[2J'), 'errors are escaped too');
});

import test from 'ava';
import { encryptionKeyProblem, weakSecret } from '../../api/config.ts';
import { edify, spawnEdify } from '../helpers/cli.ts';

test('secrets:generate prints values production accepts', async (t) => {
  const res = await edify(['secrets:generate', '--json']);
  t.is(res.code, 0);
  t.is(weakSecret(res.json.EDIFY_SECRET), undefined);
  t.is(encryptionKeyProblem(res.json.EDIFY_ENCRYPTION_KEY), undefined);
  const again = await edify(['secrets:generate', '--json']);
  t.not(again.json.EDIFY_SECRET, res.json.EDIFY_SECRET);
});

async function serveInProduction(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { child, exited, output } = spawnEdify(['serve', '--port', '0'], {
    NODE_ENV: 'production',
    EDIFY_BASE_DOMAIN: 'edify.example',
    EDIFY_DEMO: 'false',
    EDIFY_SECRET: '',
    EDIFY_ENCRYPTION_KEY: '',
    ...env,
  });
  // A bound, not a timing check: on a loaded machine the CLI takes many seconds to load.
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, out: output() };
}

test('production refuses to start with a default, short or missing key, and says which', async (t) => {
  const good = (await edify(['secrets:generate', '--json'])).json;
  const cases: [Record<string, string>, RegExp][] = [
    [{ EDIFY_SECRET: 'changeme', EDIFY_ENCRYPTION_KEY: good.EDIFY_ENCRYPTION_KEY }, /EDIFY_SECRET is a well-known default value/],
    [{ EDIFY_SECRET: 'abc123', EDIFY_ENCRYPTION_KEY: good.EDIFY_ENCRYPTION_KEY }, /EDIFY_SECRET is too short/],
    [{ EDIFY_ENCRYPTION_KEY: good.EDIFY_ENCRYPTION_KEY }, /EDIFY_SECRET is missing/],
    [{ EDIFY_SECRET: good.EDIFY_SECRET }, /EDIFY_ENCRYPTION_KEY is missing/],
    [{ EDIFY_SECRET: good.EDIFY_SECRET, EDIFY_ENCRYPTION_KEY: 'k1:dG9vIHNob3J0' }, /EDIFY_ENCRYPTION_KEY is unusable:[\s\S]*32/],
  ];
  for (const [env, message] of cases) {
    const { code, out } = await serveInProduction(env);
    t.not(code, 0, JSON.stringify(env));
    t.regex(out, message);
    t.notRegex(out, /\n\s+at /, 'a message, not a stack trace');
  }
});

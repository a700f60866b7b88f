// Every setting api/config.ts reads is documented once in the README's configuration table, so a
// new setting cannot ship undocumented (or be listed twice with two different defaults).
import { readFileSync } from 'node:fs';
import test from 'ava';

const root = new URL('../../', import.meta.url);

test('the README documents every setting of api/config.ts exactly once', (t) => {
  const source = readFileSync(new URL('api/config.ts', root), 'utf8');
  const start = source.indexOf('const schema = z.object({');
  const end = source.indexOf('\n});', start);
  t.true(start >= 0 && end > start, 'the environment schema is found');
  const settings = [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] as string);
  t.true(settings.length > 40, `read ${settings.length} settings`);

  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const named = table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string));
  t.deepEqual(
    settings.filter((s) => !named.includes(s)),
    [],
    'missing from the README',
  );
  t.deepEqual(
    named.filter((s, i) => named.indexOf(s) !== i),
    [],
    'listed twice',
  );
});

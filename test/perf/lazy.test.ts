// The integrations a process may never need load on first use (api/lazy.ts), not with the server:
// each costs tens of MB of code and heap (docs/performance.md, P9). A static import of one of them
// anywhere under `edify serve` or the worker turns this red.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'ava';

const root = path.resolve(import.meta.dirname, '../..');
const LAZY = [
  'stripe',
  'nodemailer',
  '@node-saml/passport-saml',
  '@node-saml/node-saml',
  '@aws-sdk/client-s3',
  'pdf-lib',
  'qrcode',
  'file-type',
  '@zxcvbn-ts/language-common',
  'ioredis',
];

test('edify serve and the worker start without loading Stripe, SMTP, SAML, S3, PDF, QR, file-type, the password list or Redis', (t) => {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = new Set();
    registerHooks({ load(url, context, next) { loaded.add(url); return next(url, context); } });
    await import(${JSON.stringify(path.join(root, 'cli/commands/serve.ts'))});
    await import(${JSON.stringify(path.join(root, 'cli/commands/worker.ts'))});
    await import(${JSON.stringify(path.join(root, 'api/jobs/worker.ts'))});
    const packages = new Set([...loaded].map((u) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(u)?.[1]).filter(Boolean));
    process.stdout.write(JSON.stringify([...packages].sort()));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  t.is(run.status, 0, run.stderr);
  const packages = JSON.parse(run.stdout) as string[];
  t.true(packages.includes('koa') && packages.includes('pg-boss'), 'the hook sees what is loaded');
  t.deepEqual(
    LAZY.filter((name) => packages.includes(name)),
    [],
  );
});

// `edify serve` (what `npm start` runs), as a real process on its own fresh database: it migrates,
// seeds the demo school, serves it, and stops cleanly on Ctrl-C.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { appUrlFrom, connect, ensureDatabase } from '../../api/db/connection.ts';
import { DEMO_PASSWORD } from '../../api/platform/demo.ts';
import { edify, spawnEdify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { send } from '../helpers/http.ts';

test.serial('serve migrates an empty database, creates the demo school, serves it and stops on SIGINT', async (t) => {
  const { config } = testEnv();
  const name = `edify_test_serve_${randomBytes(4).toString('hex')}`;
  const ownerUrl = await ensureDatabase(config.databaseUrl as string, name);
  const appPassword = decodeURIComponent(new URL(config.appDatabaseUrl as string).password) || 'edify_app_local';
  const { child, exited, output, listening } = spawnEdify(['serve', '--port', '0'], {
    NODE_ENV: 'development',
    DATABASE_URL: ownerUrl,
    APP_DATABASE_URL: appUrlFrom(ownerUrl, appPassword),
    LOG_LEVEL: 'warn',
  });
  try {
    const port = await listening();
    t.regex(output(), /Created the demo school at http:\/\/demo\.localhost:\d+/);
    t.regex(output(), /teacher\s+teacher@demo\.test\s+password: edify-demo-password/);
    const login = await send(port, 'localhost', 'demo', 'POST', '/api/v1/auth/login', { body: { email: 'teacher@demo.test', password: DEMO_PASSWORD } });
    t.is(login.status, 200);
    const classes = await send(port, 'localhost', 'demo', 'GET', '/api/v1/classes', { token: login.body.access_token });
    t.deepEqual(
      classes.body.data.map((c: { name: string }) => c.name),
      ['Year 5 Science'],
    );
    // The demo class has work in it, and the demo guardian follows Sam.
    const classId = classes.body.data[0].id as string;
    const homework = await send(port, 'localhost', 'demo', 'GET', `/api/v1/classes/${classId}/homework`, { token: login.body.access_token });
    t.deepEqual(
      homework.body.data.map((h: { title: string }) => h.title),
      ['Plant diary'],
    );
    const parent = await send(port, 'localhost', 'demo', 'POST', '/api/v1/auth/login', { body: { email: 'parent@demo.test', password: DEMO_PASSWORD } });
    const dashboard = await send(port, 'localhost', 'demo', 'GET', '/api/v1/me/dashboard', { token: parent.body.access_token });
    t.is(dashboard.body.children[0].student.first_name, 'Sam');
    t.is(dashboard.body.children[0].due_soon[0].title, 'Plant diary');
    child.kill('SIGINT');
    t.is(await exited, 0);
    t.regex(output(), /Stopped\./);
  } finally {
    child.kill('SIGKILL');
    const admin = connect(config.databaseUrl as string, 1);
    await admin.raw('drop database if exists ?? with (force)', [name]);
    await admin.destroy();
  }
});

test.serial('every migration rolls back cleanly and applies again (db:migrate, db:rollback --all)', async (t) => {
  const { config } = testEnv();
  const name = `edify_test_rollback_${randomBytes(4).toString('hex')}`;
  const ownerUrl = await ensureDatabase(config.databaseUrl as string, name);
  const env = {
    DATABASE_URL: ownerUrl,
    APP_DATABASE_URL: appUrlFrom(ownerUrl, decodeURIComponent(new URL(config.appDatabaseUrl as string).password) || 'edify_app_local'),
  };
  try {
    const up = await edify(['db:migrate', '--json'], { env });
    t.is(up.code, 0, up.stderr);
    t.true(up.json.applied.length >= 7);
    const down = await edify(['db:rollback', '--all', '--yes', '--json'], { env });
    t.is(down.code, 0, down.stderr);
    t.deepEqual([...down.json.undone].sort(), [...up.json.applied].sort());
    const again = await edify(['db:migrate', '--json'], { env });
    t.deepEqual(again.json.applied, up.json.applied);
  } finally {
    const admin = connect(config.databaseUrl as string, 1);
    await admin.raw('drop database if exists ?? with (force)', [name]);
    await admin.destroy();
  }
});

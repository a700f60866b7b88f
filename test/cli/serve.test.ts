// `edify serve` (what `npm start` runs), as a real process on its own fresh database: it migrates,
// seeds the demo school, serves it, and stops cleanly on Ctrl-C; with --workers, as several.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** The processes whose parent is `pid` (from /proc: this is Linux-only, as the suite is). */
function childrenOf(pid: number | undefined): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of /proc/N/stat, after the command name in parentheses (which may hold spaces).
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

test.serial('serve --workers 2: two processes answer on one port, one that dies is started again, Ctrl-C stops them all', async (t) => {
  const { config } = testEnv();
  const name = `edify_test_workers_${randomBytes(4).toString('hex')}`;
  const ownerUrl = await ensureDatabase(config.databaseUrl as string, name);
  const appPassword = decodeURIComponent(new URL(config.appDatabaseUrl as string).password) || 'edify_app_local';
  const { child, exited, output, listening, waitFor } = spawnEdify(['serve', '--port', '0', '--workers', '2', '--no-worker'], {
    NODE_ENV: 'development',
    DATABASE_URL: ownerUrl,
    APP_DATABASE_URL: appUrlFrom(ownerUrl, appPassword),
    LOG_LEVEL: 'warn',
  });
  let workers: number[] = [];
  try {
    const port = await listening();
    t.regex(output(), /\(2 processes\)/);
    t.regex(output(), /Created the demo school/, 'the first process seeds the demo, once');
    workers = childrenOf(child.pid);
    t.is(workers.length, 2);
    const login = await send(port, 'localhost', 'demo', 'POST', '/api/v1/auth/login', { body: { email: 'teacher@demo.test', password: DEMO_PASSWORD } });
    t.is(login.status, 200);

    process.kill(workers[1] as number, 'SIGKILL');
    await waitFor((out) => (/Process 2 is answering again\./.test(out) ? true : undefined));
    t.regex(output(), /Process 2 exited \(SIGKILL\): starting it again\./);
    const after = childrenOf(child.pid);
    t.is(after.length, 2);
    t.false(after.includes(workers[1] as number));
    workers = after;
    // New connections go to the processes in turn: each of them answers.
    for (let i = 0; i < 4; i++) {
      const classes = await send(port, 'localhost', 'demo', 'GET', '/api/v1/classes', { token: login.body.access_token });
      t.is(classes.status, 200);
    }

    child.kill('SIGINT');
    t.is(await exited, 0);
    t.regex(output(), /Stopped\./);
    t.deepEqual(
      workers.filter((pid) => existsSync(`/proc/${pid}`)),
      [],
      'no process is left running',
    );
  } finally {
    child.kill('SIGKILL');
    for (const pid of workers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
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

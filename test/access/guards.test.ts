// The guards (api/access/guards.ts): one ordered list that requests, CLI commands and jobs pass.
// Billing's read-only rule is the one all three meet: shown here for each way in.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { GUARDS } from '../../api/access/guards.ts';
import { createLogger } from '../../api/http/logger.ts';
import { inSchool, jobWork } from '../../api/jobs/worker.ts';
import { withPlatform } from '../../tenants/session.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, type School } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { testJobs } from '../helpers/jobs.ts';

/** The trial ended yesterday and nobody paid: read-only. */
async function readOnly(school: School): Promise<void> {
  const { dbs } = testEnv();
  await withPlatform(dbs.owner, (db) =>
    db('tenants')
      .where({ id: school.tenant.id })
      .update({ billing_status: 'trialing', trial_ends_at: new Date(Date.now() - 86_400_000) }),
  );
}

test('the guards run in one order, each where it applies', (t) => {
  t.deepEqual(
    GUARDS.map((g) => [g.name, [...g.entries]]),
    [
      ['billing-read-only', ['request', 'cli', 'job']],
      ['csrf', ['request']],
      ['two-factor-enrolment', ['request']],
      ['permission', ['request']],
    ],
  );
});

test('a read-only school: a request that writes is refused; signing in and reading still work', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  await readOnly(school);
  const write = await app.request(school.slug, 'POST', '/api/v1/classes', { token: teacher.token, body: { name: 'New' } });
  t.is(write.status, 403);
  t.is(write.body.type, 'https://edify.app/problems/school-read-only');
  t.is((await app.request(school.slug, 'GET', '/api/v1/classes', { token: teacher.token })).status, 200);
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: 'correct horse battery' } });
  t.is(login.status, 200);
});

test('a read-only school: an operator’s writing command is refused and changes nothing; reads, dry runs and unlocking still work', async (t) => {
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  await readOnly(school);
  const file = path.join(os.tmpdir(), `guards-${school.slug}.csv`);
  await writeFile(file, `email,first_name,last_name,role,class_codes\nnew@${school.slug}.test,Ada,Lovelace,student,\n`);
  const refused = await edify(['users:import', school.slug, file]);
  t.is(refused.code, 1);
  // oclif wraps long messages: compare with the line breaks folded.
  const said = refused.stderr.replace(/\s+/g, ' ');
  t.regex(said, /is read-only for billing/);
  t.regex(said, /Nothing was changed/);
  const dry = await edify(['users:import', school.slug, file, '--dry-run', '--json']);
  t.is(dry.code, 0, dry.stderr);
  t.is(dry.json.errors.length, 0);
  const list = await edify(['users:list', school.slug, '--json']);
  t.is(list.code, 0, list.stderr);
  t.false(JSON.stringify(list.json).includes(`new@${school.slug}.test`), 'the refused import added nobody');
  const unlock = await edify(['users:unlock', school.slug, student.email]);
  t.is(unlock.code, 0, unlock.stderr);
});

test('a read-only school: a job that writes and is not declared allowed is refused; owed delivery still runs', async (t) => {
  const school = await createSchool();
  await readOnly(school);
  const { config, dbs } = testEnv();
  const deps = { config, dbs, log: createLogger('silent'), jobs: await testJobs(), secretBox: undefined as never, clock: () => new Date() };
  t.deepEqual(jobWork('some-new-job'), { writes: true });
  const error = await t.throwsAsync(inSchool(deps, school.tenant.id, 'some-new-job', async () => 'ran'));
  t.regex(String(error?.message), /read-only/);
  t.is(await inSchool(deps, school.tenant.id, 'notice-published', async () => 'ran'), 'ran');
  t.is(await inSchool(deps, school.tenant.id, 'school-tick:prune', async () => 'ran'), 'ran');
});

// "Find my school" through the job queue: the page only queues a find-school job (committed before
// it answers) and says the same words for any address; the worker looks the address up across
// schools in one call and queues the email, or nothing when no school knows the address.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { Jobs } from '../../api/jobs/jobs.ts';
import type { EmailJob } from '../../api/jobs/outbox.ts';
import { findSchoolJob, schoolsOf } from '../../api/signup/find-school.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { TEST_JOB_PREFIX } from '../helpers/jobs.ts';
import { readMail, waitForMail } from '../helpers/mail.ts';

const address = (who: string) => `${who}-${randomBytes(5).toString('hex')}@family.test`;

function ask(app: Awaited<ReturnType<typeof startApp>>, email: string) {
  return app.request(null, 'POST', '/find-school', {
    raw: `email=${encodeURIComponent(email)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://localhost:${app.port}`, accept: 'text/html' },
  });
}

/** A Jobs that only records what would be queued (the handler's output, without a worker). */
function recordingJobs() {
  const sent: { queue: string; data: Record<string, unknown>; options: Record<string, unknown> | undefined }[] = [];
  const ids = new Set<string>();
  const jobs = {
    send: async (queue: string, data: Record<string, unknown>, options?: Record<string, unknown>) => {
      // As pg-boss: a job id already in the queue inserts nothing.
      const id = typeof options?.id === 'string' ? options.id : randomBytes(8).toString('hex');
      if (ids.has(`${queue}:${id}`)) return null;
      ids.add(`${queue}:${id}`);
      sent.push({ queue, data, options });
      return id;
    },
  } as unknown as Jobs;
  return { jobs, sent };
}

test('the email arrives through the worker; the page answers the same for an unknown address', async (t) => {
  const app = await startApp();
  const birch = await createSchool({ name: 'Birch Primary' });
  const cedar = await createSchool({ name: 'Cedar High' });
  const email = address('parent');
  await createPerson(birch, 'guardian', { email });
  await createPerson(cedar, 'guardian', { email: email.toUpperCase() });

  const known = await ask(app, email);
  t.is(known.status, 200);
  // Committed before the answer: the search is in the queue whatever happens to this process now.
  const { dbs } = testEnv();
  const queued = await dbs
    .owner('pgboss.job')
    .where({ name: `${TEST_JOB_PREFIX}find-school` })
    .count({ n: '*' })
    .first();
  t.true(Number(queued?.n) >= 1);

  const [mail] = await waitForMail(MAIL_DIR, email);
  t.is(mail?.template, 'find-school');
  t.regex(mail?.text ?? '', new RegExp(`Birch Primary: http://${birch.slug}\\.localhost:\\d+/sign-in`));
  t.regex(mail?.text ?? '', new RegExp(`Cedar High: http://${cedar.slug}\\.localhost:\\d+/sign-in`));

  const stranger = address('nobody');
  const unknown = await ask(app, stranger);
  t.is(unknown.status, 200);
  const words = (html: string, who: string) => html.replaceAll(who, 'X');
  t.is(words(unknown.text, stranger), words(known.text, email), 'the same page, word for word');
  t.notRegex(known.text, /Birch|Cedar/);
});

test('the job looks across active schools only, sends nothing for an unknown address, and queues the email once', async (t) => {
  const { config, dbs } = testEnv();
  const app = await startApp({}, { worker: false });
  const { secretBox } = app.deps;
  const email = address('Guardian');
  const oak = await createSchool({ name: 'Oak Academy' });
  const ash = await createSchool({ name: 'Ash School' });
  const shut = await createSchool({ name: 'Shut School' });
  const gone = await createSchool({ name: 'Left School' });
  await createPerson(oak, 'guardian', { email });
  await createPerson(ash, 'teacher', { email: email.toLowerCase() });
  await createPerson(shut, 'guardian', { email });
  const left = await createPerson(gone, 'guardian', { email });
  await dbs.owner('tenants').where({ id: shut.tenant.id }).update({ status: 'suspended', suspended_reason: 'test' });
  await dbs.owner('users').where({ tenant_id: gone.tenant.id, id: left.id }).update({ status: 'deactivated' });

  const found = await schoolsOf({ dbs, config }, `  ${email.toUpperCase()} `);
  t.deepEqual(
    found.map((s) => s.name),
    ['Ash School', 'Oak Academy'],
  );

  const { jobs, sent } = recordingJobs();
  const deps = { dbs, config, jobs, secretBox };
  const job = (to: string) => ({
    id: '6d2f3c9e-4d1a-4b55-9c1e-2a0c4f1b7e11',
    data: { tenant_id: null, sealed: secretBox.seal(JSON.stringify({ email: to })) },
  });

  await findSchoolJob(deps, job(address('nobody')));
  t.deepEqual(sent, [], 'an unknown address: nothing is queued');

  await findSchoolJob(deps, job(email));
  await findSchoolJob(deps, job(email)); // a retry after the email was queued
  t.is(sent.length, 1, 'the email is queued once');
  const mail = sent[0]?.data as unknown as EmailJob;
  t.is(mail.to, email);
  t.is(mail.template, 'find-school');
  t.deepEqual(
    (JSON.parse(secretBox.open(mail.sealed)) as { schools: { name: string }[] }).schools.map((s) => s.name),
    ['Ash School', 'Oak Academy'],
  );
  t.is(sent[0]?.options?.id, '6d2f3c9e-4d1a-4b55-9c1e-2a0c4f1b7e11');
  t.deepEqual(await readMail(MAIL_DIR, email), []);
});

test('the lookup runs as the app role under row-level security and leaves no school set', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  const email = address('teacher');
  await createPerson(school, 'teacher', { email });
  const rows = await dbs.app.transaction(async (trx) => {
    const { rows: found } = await trx.raw('select edify_schools_with_address(?) as id', [email]);
    const { rows: after } = await trx.raw(`select current_user as who, coalesce(current_setting('app.tenant_id', true), '') as tenant`);
    return { found, after };
  });
  t.deepEqual(
    rows.found.map((r: { id: string }) => r.id),
    [school.tenant.id],
  );
  t.is(rows.after[0].who, 'edify_app');
  t.is(rows.after[0].tenant, '', 'app.tenant_id is restored when the function returns');
});

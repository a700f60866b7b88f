// tellSoon (api/notifications/soon.ts): a change that people should hear about at once queues the
// school's notification sweep; many changes in a row queue a sweep per slot, not one each, and the
// last one still has a sweep that starts after it.
import test from 'ava';
import { JOB_SCHEMA } from '../../api/jobs/jobs.ts';
import { SLOT_SECONDS, tellSoon } from '../../api/notifications/soon.ts';
import { createSchool, inSchool } from '../helpers/factories.ts';
import { testJobs } from '../helpers/jobs.ts';

test('ten changes in a row queue one sweep per slot, the last starting after the last change', async (t) => {
  const jobs = await testJobs();
  const school = await createSchool();
  let lastChange = new Date(0);
  for (let i = 0; i < 10; i++) {
    await inSchool(school, (scope) => tellSoon(scope));
    lastChange = new Date();
  }
  const { rows } = await jobs.boss
    .getDb()
    .executeSql(`select start_after from ${JOB_SCHEMA}.job where name = $1 and data->>'tenant_id' = $2 order by start_after`, [
      jobs.name('notify'),
      school.tenant.id,
    ]);
  t.true(rows.length >= 1 && rows.length <= 3, `${rows.length} sweeps queued for 10 changes`);
  const latest = new Date(rows[rows.length - 1].start_after);
  t.true(latest.getTime() >= lastChange.getTime() - SLOT_SECONDS * 1000, 'a sweep starts no earlier than the slot of the last change');
  // Another school's changes are its own: they queue their own sweep.
  const other = await createSchool();
  await inSchool(other, (scope) => tellSoon(scope));
  const { rows: theirs } = await jobs.boss
    .getDb()
    .executeSql(`select 1 from ${JOB_SCHEMA}.job where name = $1 and data->>'tenant_id' = $2`, [jobs.name('notify'), other.tenant.id]);
  t.is(theirs.length, 1);
});

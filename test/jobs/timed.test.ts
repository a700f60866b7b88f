// The school tick's pruning: what can no longer be used is deleted, nothing else.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { pruneExpired } from '../../api/jobs/timed.ts';
import { createPerson, createSchool, inSchool } from '../helpers/factories.ts';

test('pruning deletes expired reset tokens, keeps live ones, and stays inside the school', async (t) => {
  const [school, other] = await Promise.all([createSchool(), createSchool()]);
  const [person, stranger] = await Promise.all([createPerson(school, 'teacher'), createPerson(other, 'teacher')]);
  const at = new Date('2026-11-26T12:00:00Z');
  const days = (n: number) => new Date(at.getTime() + n * 86_400_000);
  const reset = (tenantId: string, userId: string, expires: Date) => ({
    tenant_id: tenantId,
    user_id: userId,
    token_hash: randomBytes(16).toString('hex'),
    expires_at: expires,
  });
  await inSchool(school, (scope) =>
    scope.db('password_resets').insert([reset(school.tenant.id, person.id, days(-2)), reset(school.tenant.id, person.id, days(1))]),
  );
  await inSchool(other, (scope) => scope.db('password_resets').insert(reset(other.tenant.id, stranger.id, days(-2))));

  const pruned = await inSchool(school, (scope) => pruneExpired({ ...scope, clock: () => at }));
  t.is(pruned, 1);
  const left = await inSchool(school, (scope) => scope.db('password_resets').select('expires_at'));
  t.deepEqual(
    left.map((r: { expires_at: Date }) => r.expires_at.toISOString()),
    [days(1).toISOString()],
  );
  t.is((await inSchool(other, (scope) => scope.db('password_resets').select('id'))).length, 1, 'another school’s rows wait for its own tick');
});

// docs/permissions.md, "Guardians" rows. Linking a guardian to a student is done by admins, and
// by teachers for students of classes they teach (parents' evenings, a new family mid-year).
import type { FeatureRules } from '../access/ability.ts';

export const guardianRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  if (role === 'admin') can('manage', 'GuardianLink');
  if (role === 'teacher') can(['read', 'create', 'delete'], 'GuardianLink', { studentTaughtBy: id });
  if (role === 'guardian') can('read', 'GuardianLink', { guardianId: id });
};

// docs/permissions.md, "Guardians" rows. A guardian link opens a student's whole record (every
// class, every grade) to another account, so it is a school-office decision: only admins create
// and remove links. Teachers see who the guardians of the students they teach are.
import type { FeatureRules } from '../access/ability.ts';

export const guardianRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  if (role === 'admin') can('manage', 'GuardianLink');
  if (role === 'teacher') can('read', 'GuardianLink', { studentTaughtBy: id });
  if (role === 'guardian') can('read', 'GuardianLink', { guardianId: id });
};

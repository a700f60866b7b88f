// docs/permissions.md, "Classes" rows. `teacherIds` / `studentIds` are rule fields that
// api/classes/model.ts maps to SQL over enrollments.
import type { FeatureRules } from '../access/ability.ts';

export const classRules: FeatureRules = ({ can, cannot }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'Class');
      can('manage', 'Enrollment');
      // Joining by code is how students enrol themselves; staff are added to rosters.
      cannot('join', 'Class');
      return;
    case 'teacher':
      can('create', 'Class');
      can(['read', 'update', 'manage_roster'], 'Class', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Class', { studentIds: id });
      can('join', 'Class');
      return;
    case 'guardian':
      can('read', 'Class', { guardianIds: id });
      return;
  }
};

// docs/permissions.md, "Gradebook" rows. The rule fields are the class's (CLASS_FIELDS): a
// gradebook is read per class; which rows a student or guardian gets is narrowed by the service.
import type { FeatureRules } from '../access/ability.ts';

export const gradebookRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can(['read', 'export', 'update'], 'Gradebook');
      return;
    case 'teacher':
      can(['read', 'export', 'update'], 'Gradebook', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Gradebook', { studentIds: id });
      return;
    case 'guardian':
      can('read', 'Gradebook', { guardianIds: id });
      return;
  }
};

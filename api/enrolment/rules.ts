// docs/permissions.md, "Catalogue" and "Course payments" rows. Rule fields are mapped to SQL in
// api/enrolment/model.ts (offeringFields). `join` is enrolling oneself (free or paid).
import type { FeatureRules } from '../access/ability.ts';

export const enrolmentRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can(['read', 'update'], 'Offering');
      can('manage', 'CoursePayment');
      return;
    case 'teacher':
      can('read', 'Offering', { listed: true });
      can(['read', 'update'], 'Offering', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Offering', { listed: true });
      can('read', 'Offering', { studentIds: id });
      can('join', 'Offering', { listed: true });
      return;
    case 'guardian':
      can('read', 'Offering', { listed: true });
      return;
  }
};

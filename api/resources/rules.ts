// docs/permissions.md, "Resources" rows. Topics follow the same rules (api/resources/model.ts
// maps the rule fields onto resource_topics too).
import type { FeatureRules } from '../access/ability.ts';

export const resourceRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'Resource');
      return;
    case 'teacher':
      can(['read', 'create', 'update', 'delete'], 'Resource', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Resource', { studentIds: id });
      return;
    case 'guardian':
      can('read', 'Resource', { guardianIds: id });
      return;
  }
};

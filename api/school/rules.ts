// docs/permissions.md, "School settings" rows.
import type { FeatureRules } from '../access/ability.ts';

export const schoolRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  can('read', 'School');
  if (actor.user.role === 'admin') can('update', 'School');
};

// docs/permissions.md, "billing" row: school admins only.
import type { FeatureRules } from '../access/ability.ts';

export const billingRules: FeatureRules = ({ can }, actor) => {
  if (actor.type === 'user' && actor.user.role === 'admin') can('manage', 'Billing');
};

// docs/permissions.md, "SSO connections" row: school admins only.
import type { FeatureRules } from '../access/ability.ts';

export const ssoRules: FeatureRules = ({ can }, actor) => {
  if (actor.type === 'user' && actor.user.role === 'admin') can('manage', 'SsoConnection');
};

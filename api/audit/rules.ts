// docs/permissions.md, "audit log" row: school admins only.
import type { FeatureRules } from '../access/ability.ts';

export const auditRules: FeatureRules = ({ can }, actor) => {
  if (actor.type === 'user' && actor.user.role === 'admin') can('read', 'AuditEvent');
};

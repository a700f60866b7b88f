// docs/permissions.md, "Users" rows.
import type { FeatureRules } from '../access/ability.ts';

export const userRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  if (role === 'admin') {
    can('manage', 'User');
    return;
  }
  can('read', 'User', { id });
  if (role === 'teacher') {
    // Teachers invite students into classes they teach (checked per class by the service).
    can('invite', 'User');
    // Teachers see all staff, and the students of classes they teach.
    can('read', 'User', { role: { $in: ['admin', 'teacher'] } });
    can('read', 'User', { taughtBy: id });
  }
  if (role === 'guardian') can('read', 'User', { guardedBy: id });
};

// docs/permissions.md, "Notices" rows. api/notices/model.ts maps the rule fields to SQL:
// class membership (teacherIds, studentIds, guardianIds), schoolWide, and published (by the
// scope's clock, so a scheduled notice appears to readers when its time comes).
// Read receipts belong to whoever manages the notice: the `update` action.
import type { FeatureRules } from '../access/ability.ts';

export const noticeRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'Notice');
      return;
    case 'teacher':
      // Co-teachers are equal: each sees and manages every notice of the class, drafts included.
      can(['read', 'create', 'update', 'delete'], 'Notice', { teacherIds: id });
      can('read', 'Notice', { schoolWide: true, published: true });
      return;
    case 'student':
      can('read', 'Notice', { studentIds: id, published: true });
      can('read', 'Notice', { schoolWide: true, published: true });
      return;
    case 'guardian':
      can('read', 'Notice', { guardianIds: id, published: true });
      can('read', 'Notice', { schoolWide: true, published: true });
      return;
  }
};

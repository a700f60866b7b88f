// docs/permissions.md, "Files" rows. These rules cover a file as such (its uploader, admins);
// who may read an attached file is decided by the record it is attached to (api/files/access.ts
// asks the homework, submission, resource or notice rules), so a file is never more visible
// than the work it belongs to.
import type { FeatureRules } from '../access/ability.ts';

export const fileRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'File');
      return;
    case 'teacher':
    case 'student':
      can('create', 'File');
      can(['read', 'delete'], 'File', { uploadedBy: id });
      return;
    case 'guardian':
      // Guardians read what their students may read (through the records); they upload nothing.
      return;
  }
};

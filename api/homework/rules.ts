// docs/permissions.md, "Homework" and "Submissions" rows. Rule fields are mapped to SQL in
// api/homework/model.ts (homeworkFields, SUBMISSION_FIELDS).
import type { FeatureRules } from '../access/ability.ts';

export const homeworkRules: FeatureRules = ({ can, cannot }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'Homework');
      can('manage', 'Submission');
      // Work is handed in by the students it is assigned to, never on their behalf.
      cannot('submit', 'Submission');
      return;
    case 'teacher':
      can(['create', 'read', 'update', 'delete'], 'Homework', { teacherIds: id });
      can(['read', 'grade'], 'Submission', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Homework', { studentIds: id, assignedTo: id, published: true });
      can(['read', 'submit'], 'Submission', { studentId: id, studentIds: id });
      return;
    case 'guardian':
      can('read', 'Homework', { assignedToChildOf: id, published: true });
      can('read', 'Submission', { guardianOf: id });
      return;
  }
};

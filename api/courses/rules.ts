// docs/permissions.md, "Courses", "Course progress" and "Certificates" rows. Rule fields are
// mapped to SQL in api/courses/model.ts. Students see released units and lessons of classes they
// are enrolled in (and a locked lesson's title, never its body: api/courses/locks.ts); progress
// and certificates are a student's own, or their linked students' for a guardian.
import type { FeatureRules } from '../access/ability.ts';

export const courseRules: FeatureRules = ({ can }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'Course');
      can('read', 'CourseProgress');
      can(['read', 'update'], 'Certificate');
      return;
    case 'teacher':
      can(['create', 'read', 'update', 'delete'], 'Course', { teacherIds: id });
      can('read', 'CourseProgress', { teacherIds: id });
      // update: revoke.
      can(['read', 'update'], 'Certificate', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Course', { studentIds: id });
      can(['read', 'submit'], 'CourseProgress', { studentIds: id, studentId: id });
      can('read', 'Certificate', { studentId: id });
      return;
    case 'guardian':
      can('read', 'Course', { guardianIds: id });
      can('read', 'CourseProgress', { guardianOf: id });
      can('read', 'Certificate', { guardianOf: id });
      return;
  }
};

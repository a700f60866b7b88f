// One CASL ability per request (or CLI command, or job), composed from each feature's rules.ts.
// RLS is the wall between schools; this decides what each person may do inside one.
import { AbilityBuilder, createMongoAbility, type ForcedSubject, type MongoAbility } from '@casl/ability';
import { auditRules } from '../audit/rules.ts';
import { billingRules } from '../billing/rules.ts';
import { classRules } from '../classes/rules.ts';
import { courseRules } from '../courses/rules.ts';
import { enrolmentRules } from '../enrolment/rules.ts';
import { fileRules } from '../files/rules.ts';
import { gradebookRules } from '../gradebook/rules.ts';
import { guardianRules } from '../guardians/rules.ts';
import { homeworkRules } from '../homework/rules.ts';
import { noticeRules } from '../notices/rules.ts';
import { quizRules } from '../quizzes/rules.ts';
import { resourceRules } from '../resources/rules.ts';
import { schoolRules } from '../school/rules.ts';
import type { Actor } from '../scope.ts';
import { ssoRules } from '../sso/rules.ts';
import { userRules } from '../users/rules.ts';

export type Action = 'manage' | 'create' | 'read' | 'update' | 'delete' | 'join' | 'manage_roster' | 'invite' | 'import' | 'grade' | 'submit' | 'export';
export type SubjectName =
  | 'Class'
  | 'Enrollment'
  | 'User'
  | 'AuditEvent'
  | 'School'
  | 'SsoConnection'
  | 'Billing'
  | 'GuardianLink'
  | 'Homework'
  | 'Submission'
  | 'Resource'
  | 'Notice'
  | 'Quiz'
  | 'QuizAttempt'
  | 'Gradebook'
  | 'File'
  | 'Offering'
  | 'CoursePayment'
  | 'Course'
  | 'CourseProgress'
  | 'Certificate'
  | 'all';

// The fields rules may test, per subject. Each is mapped to SQL by the feature's model
// (CLASS_FIELDS, USER_FIELDS), so lists and single reads filter in the database.
type ClassFields = { id: string; teacherIds: string; studentIds: string; guardianIds: string };
type UserFields = { id: string; role: string; taughtBy: string; guardedBy: string };
// Newer features map their own rule fields (their model's FieldMap) and are typed loosely here:
// the FieldMap is what makes a field real, and a rule on an unmapped field fails loudly.
type FeatureSubjectName = Exclude<SubjectName, 'Class' | 'User' | 'all'>;
// biome-ignore lint/suspicious/noExplicitAny: rule fields of these subjects are checked by their FieldMap
type FeatureSubjects = { [K in FeatureSubjectName]: ForcedSubject<K> & { [field: string]: any } }[FeatureSubjectName];
type Subjects = SubjectName | (ForcedSubject<'Class'> & ClassFields) | (ForcedSubject<'User'> & UserFields) | FeatureSubjects;

export type AppAbility = MongoAbility<[Action, Subjects]>;
export type RuleBuilder = AbilityBuilder<AppAbility>;
export type FeatureRules = (builder: RuleBuilder, actor: Actor) => void;

const FEATURES: FeatureRules[] = [
  userRules,
  classRules,
  auditRules,
  schoolRules,
  ssoRules,
  billingRules,
  guardianRules,
  homeworkRules,
  resourceRules,
  noticeRules,
  quizRules,
  gradebookRules,
  fileRules,
  enrolmentRules,
  courseRules,
];

export function abilityFor(actor: Actor): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (actor.type === 'operator' || actor.type === 'system') {
    // Operators and jobs act through the CLI and are audited; inside a school they may do anything.
    builder.can('manage', 'all');
  } else {
    for (const rules of FEATURES) rules(builder, actor);
  }
  return builder.build();
}

// One CASL ability per request (or CLI command, or job), composed from each feature's rules.ts.
// RLS is the wall between schools; this decides what each person may do inside one.
import { AbilityBuilder, createMongoAbility, type ForcedSubject, type MongoAbility } from '@casl/ability';
import { auditRules } from '../audit/rules.ts';
import { billingRules } from '../billing/rules.ts';
import type { CLASS_FIELDS } from '../classes/model.ts';
import { classRules } from '../classes/rules.ts';
import type { CERTIFICATE_FIELDS, COURSE_FIELDS_ON_CLASS, PROGRESS_FIELDS } from '../courses/model.ts';
import { courseRules } from '../courses/rules.ts';
import type { offeringFields } from '../enrolment/model.ts';
import { enrolmentRules } from '../enrolment/rules.ts';
import type { FILE_FIELDS } from '../files/model.ts';
import { fileRules } from '../files/rules.ts';
import { gradebookRules } from '../gradebook/rules.ts';
import type { GUARDIAN_LINK_FIELDS } from '../guardians/model.ts';
import { guardianRules } from '../guardians/rules.ts';
import type { homeworkFields, SUBMISSION_FIELDS } from '../homework/model.ts';
import { homeworkRules } from '../homework/rules.ts';
import type { NoticeField } from '../notices/model.ts';
import { noticeRules } from '../notices/rules.ts';
import type { ATTEMPT_FIELDS, AttemptFact, QUIZ_FIELDS, QuizFact } from '../quizzes/model.ts';
import { quizRules } from '../quizzes/rules.ts';
import type { ResourceField } from '../resources/model.ts';
import { resourceRules } from '../resources/rules.ts';
import { schoolRules } from '../school/rules.ts';
import type { Actor } from '../scope.ts';
import { ssoRules } from '../sso/rules.ts';
import type { USER_FIELDS } from '../users/model.ts';
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

// The fields a rule may test, per subject: the keys of the FieldMap its model maps them to SQL
// with, so a field the map lacks does not compile. Subjects whose rules use no conditions have none.
type Fields<K extends PropertyKey> = { [F in K & string]?: unknown };
type NoFields = Fields<never>;
type SubjectFields = {
  Class: Fields<keyof typeof CLASS_FIELDS>;
  Enrollment: NoFields;
  User: Fields<keyof typeof USER_FIELDS>;
  AuditEvent: NoFields;
  School: NoFields;
  SsoConnection: NoFields;
  Billing: NoFields;
  GuardianLink: Fields<keyof typeof GUARDIAN_LINK_FIELDS>;
  Homework: Fields<keyof ReturnType<typeof homeworkFields>>;
  Submission: Fields<keyof typeof SUBMISSION_FIELDS>;
  Resource: Fields<ResourceField>;
  Notice: Fields<NoticeField>;
  // Plus the release facts the presenter computes (no SQL: only field-restricted `cannot` rules test them).
  Quiz: Fields<keyof typeof QUIZ_FIELDS | QuizFact>;
  QuizAttempt: Fields<keyof typeof ATTEMPT_FIELDS | AttemptFact>;
  // A gradebook is read per class, through the class's map.
  Gradebook: Fields<keyof typeof CLASS_FIELDS>;
  File: Fields<keyof typeof FILE_FIELDS>;
  Offering: Fields<keyof ReturnType<typeof offeringFields>>;
  CoursePayment: NoFields;
  Course: Fields<keyof typeof COURSE_FIELDS_ON_CLASS>;
  CourseProgress: Fields<keyof typeof PROGRESS_FIELDS>;
  Certificate: Fields<keyof typeof CERTIFICATE_FIELDS>;
};
type RecordSubjectName = Exclude<SubjectName, 'all'>;
type Subjects = SubjectName | { [S in RecordSubjectName]: ForcedSubject<S> & SubjectFields[S] }[RecordSubjectName];

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

// What search looks through: one entry per searchable table (migrations/…_search.ts gives each a
// generated `search` tsvector and a `search_config`). Each source is filtered by the same CASL
// rule as its own list route, so search shows exactly what the person could open.
import type { SubjectName } from '../access/ability.ts';
import type { FieldMap } from '../access/query.ts';
import { CLASS_FIELDS } from '../classes/model.ts';
import { OFFERING_JOIN, offeringFields } from '../enrolment/model.ts';
import { homeworkFields } from '../homework/model.ts';
import { noticeFields } from '../notices/model.ts';
import { RESOURCE_FIELDS } from '../resources/model.ts';
import { now, type Scope } from '../scope.ts';

export type SearchKind = 'class' | 'homework' | 'resource' | 'notice' | 'offering';

export type SearchSource = {
  kind: SearchKind;
  table: string;
  subject: SubjectName;
  fields: (scope: Scope) => FieldMap;
  /** SQL over the table: the result's title, the text snippets come from, and its class (null
   * for school-wide notices). */
  title: string;
  text: string;
  classId: string;
  /** SQL joined onto the table (a source that reads another table's index, e.g. offerings over classes). */
  join?: string;
};

export const SEARCH_SOURCES: SearchSource[] = [
  {
    kind: 'class',
    table: 'classes',
    subject: 'Class',
    fields: () => CLASS_FIELDS,
    title: 'classes.name',
    text: "concat_ws(' ', classes.subject, classes.grade_level, classes.description)",
    classId: 'classes.id',
  },
  {
    kind: 'homework',
    table: 'homework',
    subject: 'Homework',
    fields: (scope) => homeworkFields(now(scope)),
    title: 'homework.title',
    text: 'homework.instructions',
    classId: 'homework.class_id',
  },
  {
    kind: 'resource',
    table: 'resources',
    subject: 'Resource',
    fields: () => RESOURCE_FIELDS,
    title: 'resources.title',
    text: "concat_ws(' ', resources.description, resources.url)",
    classId: 'resources.class_id',
  },
  {
    kind: 'notice',
    table: 'notices',
    subject: 'Notice',
    fields: (scope) => noticeFields(scope),
    title: 'notices.title',
    text: 'notices.body',
    // null for school-wide notices.
    classId: 'notices.class_id',
  },
  {
    // Catalogue entries (api/enrolment/): a class's offering, found through the class's own index.
    // Filtered by the Offering rule: students and guardians find listed offerings only.
    kind: 'offering',
    table: 'classes',
    join: OFFERING_JOIN,
    subject: 'Offering',
    fields: () => offeringFields(),
    title: 'classes.name',
    text: "concat_ws(' ', classes.subject, classes.grade_level, classes.description)",
    classId: 'classes.id',
  },
];

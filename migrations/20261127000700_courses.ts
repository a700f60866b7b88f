// Courses on classes (issue #18, api/courses/): a class carries at most one course of ordered
// units and lessons; students' lesson progress (the latest event by its own time wins, and an
// event id is recorded once, so replays and late arrivals are harmless); certificates, one per
// student and course (a unique key, so two completions racing issue one).
// Every row carries class_id and references its parent through (tenant_id, class_id, id), so a
// lesson can never sit in another class's unit or link another class's quiz.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'courses', (t) => {
    t.uuid('class_id').notNullable();
    // null: the class's name.
    t.text('title');
    // Completion criteria: every published lesson complete, and every linked quiz passed with at
    // least this percentage (null: lessons only).
    t.integer('pass_percent');
    t.boolean('certificates').notNullable().defaultTo(true);
    // Bumped by every change of the unit order (the reorder request's If-Match).
    t.integer('version').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.unique(['tenant_id', 'class_id']);
    t.unique(['tenant_id', 'class_id', 'id']);
  });
  await knex.raw('alter table courses add constraint courses_pass_percent check (pass_percent is null or pass_percent between 0 and 100)');

  await createTenantTable(knex, 'course_units', (t) => {
    t.uuid('course_id').notNullable();
    t.uuid('class_id').notNullable();
    t.integer('position').notNullable();
    t.text('title').notNullable();
    t.text('summary').notNullable().defaultTo('');
    // null: a draft. Future: scheduled. Past: released.
    t.timestamp('publish_at', { useTz: true });
    // The unit opens once the previous unit's gate quiz is passed with gate_percent: stored on the
    // unit that waits (this quiz must be passed to open this unit).
    t.uuid('gate_quiz_id');
    t.integer('gate_percent');
    // Bumped by every change of this unit's lesson order.
    t.integer('version').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'course_id']).references(['tenant_id', 'class_id', 'id']).inTable('courses').onDelete('CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.unique(['tenant_id', 'class_id', 'id']);
    t.index(['tenant_id', 'course_id', 'position']);
  });
  await knex.raw(`alter table course_units add constraint course_units_gate_quiz foreign key (tenant_id, class_id, gate_quiz_id)
    references quizzes (tenant_id, class_id, id) on delete set null (gate_quiz_id)`);
  await knex.raw('create index course_units_gate_quiz on course_units (tenant_id, gate_quiz_id)');
  await knex.raw('alter table course_units add constraint course_units_gate_percent check (gate_percent is null or gate_percent between 0 and 100)');

  await createTenantTable(knex, 'course_lessons', (t) => {
    t.uuid('unit_id').notNullable();
    t.uuid('class_id').notNullable();
    t.integer('position').notNullable();
    t.text('title').notNullable();
    t.text('body').notNullable().defaultTo('');
    t.jsonb('attachments').notNullable().defaultTo('[]');
    // As the teacher gave it, and the privacy-enhanced address the page embeds (null: shown as a link).
    t.text('video_url');
    t.text('video_embed_url');
    t.integer('estimated_minutes');
    t.uuid('homework_id');
    t.uuid('quiz_id');
    // The linked quiz completes the lesson when passed with this percentage (null: the course's, else any submitted attempt).
    t.integer('pass_percent');
    t.timestamp('publish_at', { useTz: true });
    t.uuid('prerequisite_lesson_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'unit_id']).references(['tenant_id', 'class_id', 'id']).inTable('course_units').onDelete('CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.unique(['tenant_id', 'class_id', 'id']);
    t.index(['tenant_id', 'unit_id', 'position']);
  });
  await knex.raw(`alter table course_lessons add constraint course_lessons_homework foreign key (tenant_id, class_id, homework_id)
    references homework (tenant_id, class_id, id) on delete set null (homework_id)`);
  await knex.raw(`alter table course_lessons add constraint course_lessons_quiz foreign key (tenant_id, class_id, quiz_id)
    references quizzes (tenant_id, class_id, id) on delete set null (quiz_id)`);
  await knex.raw(`alter table course_lessons add constraint course_lessons_prerequisite foreign key (tenant_id, class_id, prerequisite_lesson_id)
    references course_lessons (tenant_id, class_id, id) on delete set null (prerequisite_lesson_id)`);
  await knex.raw('create index course_lessons_homework on course_lessons (tenant_id, homework_id)');
  await knex.raw('create index course_lessons_quiz on course_lessons (tenant_id, quiz_id)');
  await knex.raw('create index course_lessons_prerequisite on course_lessons (tenant_id, prerequisite_lesson_id)');
  await knex.raw('alter table course_lessons add constraint course_lessons_minutes check (estimated_minutes is null or estimated_minutes between 1 and 10000)');
  await knex.raw('alter table course_lessons add constraint course_lessons_pass_percent check (pass_percent is null or pass_percent between 0 and 100)');
  await knex.raw(`alter table course_lessons add constraint course_lessons_attachments check (jsonb_typeof(attachments) = 'array')`);
  await knex.raw(
    'alter table course_lessons add constraint course_lessons_not_own_prerequisite check (prerequisite_lesson_id is null or prerequisite_lesson_id <> id)',
  );

  // One row per student and lesson: where that student stands (the latest event by occurred_at).
  await createTenantTable(knex, 'lesson_progress', (t) => {
    t.uuid('lesson_id').notNullable();
    t.uuid('class_id').notNullable();
    t.uuid('student_id').notNullable();
    t.boolean('completed').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'lesson_id']).references(['tenant_id', 'class_id', 'id']).inTable('course_lessons').onDelete('CASCADE');
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.unique(['tenant_id', 'lesson_id', 'student_id']);
    t.index(['tenant_id', 'class_id', 'student_id']);
  });

  // Every progress event once: a replay with the same event_id changes nothing.
  await createTenantTable(knex, 'lesson_progress_events', (t) => {
    t.uuid('lesson_id').notNullable();
    t.uuid('class_id').notNullable();
    t.uuid('student_id').notNullable();
    t.text('event_id').notNullable();
    t.boolean('completed').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'lesson_id']).references(['tenant_id', 'class_id', 'id']).inTable('course_lessons').onDelete('CASCADE');
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.unique(['tenant_id', 'student_id', 'event_id']);
  });

  await createTenantTable(knex, 'certificates', (t) => {
    t.uuid('course_id').notNullable();
    t.uuid('class_id').notNullable();
    t.uuid('student_id').notNullable();
    // 128 random bits, base32: what /verify/<code> takes.
    t.text('code').notNullable();
    // As printed: a later rename does not change a certificate already issued.
    t.text('student_name').notNullable();
    t.text('course_title').notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    // The rendered PDF (api/files), once the job has run.
    t.uuid('file_id');
    t.timestamp('revoked_at', { useTz: true });
    t.uuid('revoked_by');
    t.text('revoke_reason');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'course_id']).references(['tenant_id', 'class_id', 'id']).inTable('courses').onDelete('CASCADE');
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    // Exactly one certificate per student and course.
    t.unique(['tenant_id', 'course_id', 'student_id']);
    t.unique(['tenant_id', 'code']);
  });
  await knex.raw(`alter table certificates add constraint certificates_file foreign key (tenant_id, file_id)
    references files (tenant_id, id) on delete set null (file_id)`);
  await knex.raw('create index certificates_file on certificates (tenant_id, file_id)');
  await knex.raw('alter table certificates add constraint certificates_revoked check ((revoked_at is null) = (revoked_by is null))');

  // Lessons carry attachments (api/content/attachments.ts) and certificates a rendered PDF.
  await knex.raw('alter table files drop constraint files_attached');
  await knex.raw(`alter table files add constraint files_attached check (
    (attached_kind is null and attached_id is null and attached_at is null)
    or (attached_kind in ('homework', 'submission', 'resource', 'notice', 'lesson', 'certificate') and attached_id is not null and attached_at is not null))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`delete from files where attached_kind in ('lesson', 'certificate')`);
  await knex.raw('alter table files drop constraint files_attached');
  await knex.raw(`alter table files add constraint files_attached check (
    (attached_kind is null and attached_id is null and attached_at is null)
    or (attached_kind in ('homework', 'submission', 'resource', 'notice') and attached_id is not null and attached_at is not null))`);
  await dropTenantTable(knex, 'certificates');
  await dropTenantTable(knex, 'lesson_progress_events');
  await dropTenantTable(knex, 'lesson_progress');
  await dropTenantTable(knex, 'course_lessons');
  await dropTenantTable(knex, 'course_units');
  await dropTenantTable(knex, 'courses');
}

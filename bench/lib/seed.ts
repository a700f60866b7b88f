// Set-based seeding for benchmarks and local load: whole tables filled by `insert ... select
// generate_series` as the owner, so 10,000 schools take minutes, not hours. One optional school
// is `bigFactor` times larger than the others (the "100x the median" school).
import type { Knex } from 'knex';
import { hashPassword } from '../../api/auth/password.ts';
import { slugSkeleton } from '../../tenants/slug.ts';

export type SeedOptions = {
  schools: number;
  studentsPerSchool: number;
  teachersPerSchool: number;
  classesPerSchool: number;
  /** Classes each student is enrolled in. */
  classesPerStudent: number;
  /** The first school has this many times the students, teachers and classes (1: all alike). */
  bigFactor: number;
  /** The password every seeded person signs in with. */
  password: string;
  /** Slug prefix; slugs are `<prefix><6 digits>`, the first one being the big school. */
  prefix: string;
};

export const SEED_DEFAULTS: SeedOptions = {
  schools: 10,
  studentsPerSchool: 200,
  teachersPerSchool: 10,
  classesPerSchool: 8,
  classesPerStudent: 3,
  bigFactor: 1,
  password: 'bench-password-1',
  prefix: 'b',
};

export type SeedReport = { schools: number; users: number; classes: number; enrollments: number; seconds: number; bigSchool: string };

export const slugFor = (prefix: string, n: number) => `${prefix}${String(n).padStart(6, '0')}`;

/** Requires a role that bypasses row-level security (a superuser or BYPASSRLS owner): seeding
 * writes every school at once, which the per-school policy would (rightly) refuse. */
export async function seed(owner: Knex, options: SeedOptions, log: (line: string) => void = () => {}): Promise<SeedReport> {
  const started = Date.now();
  const { rows: who } = await owner.raw('select rolsuper or rolbypassrls as bypasses from pg_roles where rolname = current_user');
  if (!who[0]?.bypasses) throw new Error('dev:seed needs a superuser or BYPASSRLS role in DATABASE_URL (it writes every school at once).');
  const hash = await hashPassword(options.password);
  const { prefix } = options;
  // Digits map one-to-one in the skeleton (0→o 1→l 3→e 5→s), so seeded skeletons never collide.
  const size = (base: number) => `(case when n = 1 then ${base * options.bigFactor} else ${base} end)`;
  await owner.transaction(async (db) => {
    await db.raw(
      `insert into tenants (slug, slug_skeleton, name)
       select :prefix || lpad(n::text, 6, '0'), :prefix || translate(lpad(n::text, 6, '0'), '0135', 'oles'), 'Bench School ' || n
         from generate_series(1, :schools::int) n`,
      { prefix, schools: options.schools },
    );
    log(`  ${options.schools} schools`);
    // n = the school's number, so the big school's rows are counted with the same expression.
    const seeded = `(select id, slug, substr(slug, length(:prefix) + 1)::int as n from tenants where slug ~ ('^' || :prefix || '[0-9]{6}$'))`;
    await db.raw(
      `insert into users (tenant_id, email, first_name, last_name, role, password_hash)
       select t.id, 'admin@' || t.slug || '.test', 'Ada', 'Admin', 'admin', :hash from ${seeded} t
       union all
       select t.id, 'teacher' || i || '@' || t.slug || '.test', 'Tess', 'Teacher ' || i, 'teacher', :hash
         from ${seeded} t, generate_series(1, ${size(options.teachersPerSchool)}) i
       union all
       select t.id, 'student' || i || '@' || t.slug || '.test', 'Sam', 'Student ' || i, 'student', :hash
         from ${seeded} t, generate_series(1, ${size(options.studentsPerSchool)}) i`,
      { prefix, hash },
    );
    log('  users');
    await db.raw(
      `insert into classes (tenant_id, name, subject, join_code)
       select t.id, 'Class ' || i, 'Subject ' || (i % 7), upper(lpad(to_hex(i), 5, '0') || substr(md5(t.slug || i), 1, 2))
         from ${seeded} t, generate_series(1, ${size(options.classesPerSchool)}) i`,
      { prefix },
    );
    // Join codes are unique per school: the class number in hex, so thousands of classes in one
    // school never collide (7 random hex digits did, at 8,000 classes).
    log('  classes');
    // Class k is taught by teacher k mod T; student s takes classes s, s+1, ... (mod C).
    // (An equi-join formulation on (tenant_id, k) over CTEs planned as nested loops at 10,000
    // schools; this one takes about 100 s there.) With few, very large schools the join below
    // compares every student with every class of their school (10 schools of 100,000 students:
    // hours), so when all schools are alike T and C are constants and the join hashes on k.
    if (options.bigFactor === 1 && options.schools <= 100) {
      // Each side's class number computed first (materialized), so both joins are plain
      // equi-joins on (tenant_id, k) the planner cannot reorder into a join on tenant_id alone.
      await db.raw('set local enable_nestloop = off');
      await db.raw(
        `with c as materialized (select c.tenant_id, c.id, row_number() over (partition by c.tenant_id order by c.id) - 1 as k
                                   from classes c join ${seeded} t on t.id = c.tenant_id),
              u as materialized (select u.tenant_id, u.id, u.role, row_number() over (partition by u.tenant_id, u.role order by u.id) - 1 as k
                                   from users u join ${seeded} t on t.id = u.tenant_id where u.role in ('teacher', 'student')),
              taught as materialized (select tenant_id, id, k % :teachers::int as teacher_k from c),
              takes as materialized (select u.tenant_id, u.id, (u.k + j) % :classes::int as class_k
                                       from u cross join generate_series(0, least(:perStudent::int, :classes::int) - 1) j where u.role = 'student')
         insert into enrollments (tenant_id, class_id, user_id, role)
         select c.tenant_id, c.id, u.id, 'teacher' from taught c join u on u.tenant_id = c.tenant_id and u.k = c.teacher_k and u.role = 'teacher'
         union all
         select c.tenant_id, c.id, s.id, 'student' from takes s join c on c.tenant_id = s.tenant_id and c.k = s.class_k`,
        { prefix, perStudent: options.classesPerStudent, teachers: options.teachersPerSchool, classes: options.classesPerSchool },
      );
      log('  enrollments');
      return;
    }
    await db.raw(
      `with c as (select c.tenant_id, c.id, row_number() over (partition by c.tenant_id order by c.id) - 1 as k,
                         count(*) over (partition by c.tenant_id) as total
                    from classes c join ${seeded} t on t.id = c.tenant_id),
            u as (select u.tenant_id, u.id, u.role, row_number() over (partition by u.tenant_id, u.role order by u.id) - 1 as k,
                         count(*) over (partition by u.tenant_id, u.role) as total
                    from users u join ${seeded} t on t.id = u.tenant_id where u.role in ('teacher', 'student'))
       insert into enrollments (tenant_id, class_id, user_id, role)
       select c.tenant_id, c.id, u.id, 'teacher' from c join u on u.tenant_id = c.tenant_id and u.role = 'teacher' and u.k = c.k % u.total
       union all
       select c.tenant_id, c.id, u.id, 'student'
         from u, generate_series(0, least(:perStudent::int, 1000) - 1) j, c
        where u.role = 'student' and c.tenant_id = u.tenant_id and c.k = (u.k + j) % c.total and j < c.total`,
      { prefix, perStudent: options.classesPerStudent },
    );
    log('  enrollments');
  });
  await owner.raw('analyze tenants, users, classes, enrollments');
  const count = async (table: string) => {
    const { rows } = await owner.raw(`select count(*)::int as n from ${table}`);
    return rows[0].n as number;
  };
  return {
    schools: options.schools,
    users: await count('users'),
    classes: await count('classes'),
    enrollments: await count('enrollments'),
    seconds: (Date.now() - started) / 1000,
    bigSchool: slugFor(prefix, 1),
  };
}

export type ExamSchool = { tenantId: string; slug: string; teacherId: string; classId: string; studentIds: string[] };

/** One school with one class of `students` students and their teacher (P7, the exam morning):
 * the seeded schools' classes hold ~40 students, an exam hall a thousand. Nobody has a password;
 * the bench signs people in by creating their sessions. */
export async function seedExamSchool(owner: Knex, slug: string, students: number): Promise<ExamSchool> {
  return owner.transaction(async (db) => {
    const [tenant] = await db('tenants')
      .insert({ slug, slug_skeleton: slugSkeleton(slug), name: 'Exam Morning School' })
      .returning('id');
    const tenantId = tenant.id as string;
    const [teacher] = await db('users')
      .insert({ tenant_id: tenantId, email: `teacher@${slug}.test`, first_name: 'Tess', last_name: 'Teacher', role: 'teacher' })
      .returning('id');
    const [klass] = await db('classes').insert({ tenant_id: tenantId, name: 'Exam hall', subject: 'Physics', join_code: 'EXAMHAL' }).returning('id');
    const { rows } = (await db.raw(
      `insert into users (tenant_id, email, first_name, last_name, role)
       select ?, 'student' || i || '@' || ? || '.test', 'Sam', 'Student ' || lpad(i::text, 5, '0'), 'student' from generate_series(1, ?::int) i
       returning id`,
      [tenantId, slug, students],
    )) as { rows: { id: string }[] };
    await db.raw(
      `insert into enrollments (tenant_id, class_id, user_id, role)
       select ?::uuid, ?::uuid, ?::uuid, 'teacher' union all select tenant_id, ?::uuid, id, 'student' from users where tenant_id = ? and role = 'student'`,
      [tenantId, klass.id, teacher.id, klass.id, tenantId],
    );
    return { tenantId, slug, teacherId: teacher.id as string, classId: klass.id as string, studentIds: rows.map((r) => r.id) };
  });
}

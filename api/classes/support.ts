// What operators see of a school's classes (edify classes:list): a support query, kept with the feature.
import type { Scope } from '../scope.ts';

export type SupportClassFilters = { archived: boolean; teacher?: string; search?: string; limit: number };

/** The school's classes with teachers and roster sizes, for support. */
export async function supportClassList(scope: Scope, filters: SupportClassFilters) {
  const query = scope
    .db('classes as c')
    .where((q) => (filters.archived ? q.whereNotNull('c.archived_at') : q.whereNull('c.archived_at')))
    .modify((q) => {
      if (filters.search) q.whereILike('c.name', `%${filters.search.replace(/[%_\\]/g, '\\$&')}%`);
      const teacher = filters.teacher?.toLowerCase();
      if (teacher) {
        q.whereExists((e) =>
          e
            .select(scope.db.raw('1'))
            .from('enrollments as te')
            .join('users as tu', (j) => j.on('tu.tenant_id', 'te.tenant_id').andOn('tu.id', 'te.user_id'))
            .whereRaw('te.tenant_id = c.tenant_id and te.class_id = c.id')
            .where('te.role', 'teacher')
            .whereRaw('lower(tu.email) = ?', [teacher]),
        );
      }
    });
  const [{ count }] = (await query.clone().count<{ count: string }[]>('* as count')) as [{ count: string }];
  const found = await query
    .clone()
    .orderBy(['c.name', 'c.id'])
    .limit(filters.limit)
    .select(
      'c.id',
      'c.name',
      'c.subject',
      'c.join_code_enabled',
      'c.archived_at',
      'c.created_at',
      scope.db.raw(`(select count(*) from enrollments s where s.tenant_id = c.tenant_id and s.class_id = c.id and s.role = 'student')::int as students`),
      scope.db.raw(`(select string_agg(u.email, ', ' order by u.email) from enrollments t join users u on u.tenant_id = t.tenant_id and u.id = t.user_id
          where t.tenant_id = c.tenant_id and t.class_id = c.id and t.role = 'teacher') as teachers`),
    );
  type Row = {
    id: string;
    name: string;
    subject: string | null;
    teachers: string | null;
    students: number;
    join_code_enabled: boolean;
    archived_at: Date | null;
    created_at: Date;
  };
  return { rows: found as Row[], total: Number(count) };
}

import { Args, Flags } from '@oclif/core';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class ClassesList extends EdifyCommand {
  static override summary = 'List a school’s classes, with teachers and roster sizes (for support)';
  static override examples = ['<%= config.bin %> classes:list lincoln', '<%= config.bin %> classes:list lincoln --teacher ms.rivera@lincoln.org --json'];
  static override args = { slug: Args.string({ required: true, description: 'The school' }) };
  static override flags = {
    archived: Flags.boolean({ description: 'Only archived classes', default: false, allowNo: false }),
    teacher: Flags.string({ description: 'Only classes this teacher (email) teaches' }),
    search: Flags.string({ description: 'Only classes whose name contains this text' }),
    limit: Flags.integer({ description: 'At most this many rows', default: 100, min: 1, max: 10_000 }),
  };

  async run() {
    const { args, flags } = await this.parse(ClassesList);
    const { rows, total } = await this.inSchool(this.loadConfig(), args.slug, { writes: false }, async (scope) => {
      const query = scope
        .db('classes as c')
        .where((q) => (flags.archived ? q.whereNotNull('c.archived_at') : q.whereNull('c.archived_at')))
        .modify((q) => {
          if (flags.search) q.whereILike('c.name', `%${flags.search.replace(/[%_\\]/g, '\\$&')}%`);
          const teacher = flags.teacher?.toLowerCase();
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
        .limit(flags.limit)
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
    });
    const out = rows.map((c) => ({
      id: c.id,
      name: c.name,
      subject: c.subject,
      teachers: c.teachers ?? '',
      students: c.students,
      joining: c.join_code_enabled ? 'open' : 'off',
      archived: c.archived_at ? new Date(c.archived_at).toISOString() : null,
      created_at: new Date(c.created_at).toISOString(),
    }));
    if (out.length === 0) this.log(`No ${flags.archived ? 'archived ' : ''}classes match at ${args.slug}.`);
    else {
      this.log(table(out.map(({ archived, ...row }) => (flags.archived ? { ...row, archived } : row))));
      if (total > out.length) this.log(`\nShowing ${out.length} of ${total}; raise --limit or narrow with --teacher / --search.`);
    }
    return { school: args.slug, total, classes: out };
  }
}

import { Args, Flags } from '@oclif/core';
import { supportClassList } from '../../../api/classes/support.ts';
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
    const { rows, total } = await this.inSchool(this.loadConfig(), args.slug, { writes: false }, (scope) =>
      supportClassList(scope, { archived: flags.archived, teacher: flags.teacher, search: flags.search, limit: flags.limit }),
    );
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

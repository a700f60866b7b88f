import { readFile } from 'node:fs/promises';
import { Args, Flags, ux } from '@oclif/core';
import { schoolUrl } from '../../../api/config.ts';
import { AppError } from '../../../api/errors.ts';
import { createMailer } from '../../../api/mail/mailer.ts';
import { importRoster, type RowError } from '../../../api/users/invitations.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class UsersImport extends EdifyCommand {
  static override summary = 'Import a roster CSV into a school and email the invitations';
  static override description =
    `Columns: email, first_name, last_name, role (teacher or student), class_codes (join codes, separated by spaces or semicolons). Up to 5,000 rows. All or nothing: if any row has a problem, nothing is imported and every problem is listed by line and column.`;
  static override examples = ['<%= config.bin %> users:import lincoln roster.csv --dry-run', '<%= config.bin %> users:import lincoln roster.csv'];
  static override args = { slug: Args.string({ required: true }), file: Args.string({ required: true, description: 'Path to the CSV file' }) };
  static override flags = { 'dry-run': Flags.boolean({ default: false, description: 'Check every row and report; import nothing' }) };

  async run() {
    const { args, flags } = await this.parse(UsersImport);
    const config = this.loadConfig();
    let csv: string;
    try {
      csv = await readFile(args.file, 'utf8');
    } catch (error) {
      this.error(`Cannot read ${args.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { exit: 1 });
    }
    const mail = {
      mailer: createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, mailDir: `${config.dataDir}/mail` }),
      siteUrl: schoolUrl(config, args.slug),
    };
    ux.action.start(flags['dry-run'] ? 'Checking the roster' : 'Importing the roster and sending invitations');
    let report: Awaited<ReturnType<typeof importRoster>>;
    try {
      report = await this.inSchool(config, args.slug, { writes: !flags['dry-run'] }, (scope) => importRoster(scope, csv, { dryRun: flags['dry-run'] }, mail));
    } catch (error) {
      ux.action.stop('failed');
      const rows = error instanceof AppError ? (error.extra?.row_errors as RowError[] | undefined) : undefined;
      if (rows && !this.jsonEnabled()) this.logToStderr(table(rows.map((r) => ({ line: r.line, column: r.column, problem: r.reason }))));
      throw error;
    }
    ux.action.stop(flags['dry-run'] ? 'done' : `${report.created} people added`);
    if (report.errors.length > 0) this.log(table(report.errors.map((r) => ({ line: r.line, column: r.column, problem: r.reason }))));
    this.log(
      flags['dry-run']
        ? `${report.rows} rows checked: ${report.errors.length === 0 ? 'no problems, ready to import' : `${report.errors.length} problem(s)`}.`
        : `Imported ${report.created} people into ${args.slug}; invitations sent.`,
    );
    return report;
  }
}

import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { platformAudit } from '../../../api/audit/platform.ts';
import { createBackup } from '../../../api/backup/service.ts';
import { createBilling } from '../../../api/billing/stripe.ts';
import { createStorage } from '../../../api/files/storage.ts';
import { deleteTenant } from '../../../api/platform/lifecycle.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class TenantDelete extends EdifyCommand {
  static override summary = 'Delete a school: a final backup, then its Stripe subscription, every row and every stored file';
  static override description =
    'Takes a final backup first (unless --no-backup) into --backup-dir, cancels the school’s Stripe subscription (nothing is deleted if that fails), deletes every row of every tenant table and the school in one transaction, then its stored files. Its subdomain stays held for 90 days (nobody else can take it or a look-alike; a restore of its backup may). The platform audit keeps a record (edify audit:list). Consider tenant:export first if the school asked for its data.';
  static override examples = ['<%= config.bin %> tenant:delete lincoln', '<%= config.bin %> tenant:delete lincoln --yes --backup-dir /var/backups/edify'];
  static override args = { slug: Args.string({ required: true }) };
  static override flags = {
    backup: Flags.boolean({ description: 'Take a final backup first (--no-backup to skip)', default: true, allowNo: true }),
    'backup-dir': Flags.string({ description: 'Where the final backup goes (default <EDIFY_DATA_DIR>/backups)' }),
    yes: yesFlag,
  };

  async run() {
    const { args, flags } = await this.parse(TenantDelete);
    const slug = args.slug.toLowerCase();
    await this.confirm(
      `Delete ${slug} and everything in it${flags.backup ? ' (a final backup is taken first)' : ', with NO final backup'}? This cannot be undone.`,
      slug,
      flags.yes,
    );
    const config = this.loadConfig();
    const dbs = await this.database(config);
    let backup: string | undefined;
    if (flags.backup) {
      const result = await createBackup({
        ownerUrl: dbs.ownerUrl,
        slug,
        dir: path.resolve(flags['backup-dir'] ?? path.join(config.dataDir, 'backups')),
        onProgress: (m) => this.logToStderr(`final backup: ${m}`),
      });
      backup = result.file;
      await platformAudit(dbs.owner, this.operator(), 'tenant.backed_up', result.school, { file: result.file, rows: result.rows, final: true });
      this.logToStderr(`final backup: ${result.file}`);
    }
    const result = await deleteTenant(dbs.owner, slug, this.operator(), {
      storage: createStorage(config.files),
      billing: createBilling(config),
      backup,
    });
    const rows = Object.values(result.rows).reduce((n, c) => n + c, 0);
    this.log(
      `Deleted ${result.school.slug}: ${rows} rows, ${result.files.removed} file(s)${result.subscription === 'canceled' ? ', Stripe subscription canceled' : ''}${backup ? `; final backup ${backup}` : ''}.`,
    );
    this.log(`Its subdomain stays held until ${result.subdomain_held_until.slice(0, 10)}: only a restore of its backup may use it before then.`);
    if (result.files.failed) this.warn(`${result.files.failed} stored file(s) could not be removed; their keys start with the school's id.`);
    return { ...result, backup: backup ?? null };
  }
}

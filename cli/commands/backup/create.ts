import { Args, Flags } from '@oclif/core';
import { platformAudit } from '../../../api/audit/platform.ts';
import { backupError, keyFrom } from '../../../api/backup/archive.ts';
import { type BackupResult, createBackup } from '../../../api/backup/service.ts';
import { backupTarget } from '../../../api/backup/targets.ts';
import { listTenants } from '../../../api/platform/provision.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class BackupCreate extends EdifyCommand {
  static override summary = 'Back up one school (or every school) to an archive';
  static override description =
    'Copies every tenant table of the school from one consistent snapshot into <dir>/<slug>-<time>.edifybak: gzip-compressed, with a manifest of row counts and SHA-256 checksums; AES-256-GCM encrypted with --encrypt. Uploaded files are referenced (name, size, SHA-256), not copied.';
  static override examples = ['<%= config.bin %> backup:create lincoln', '<%= config.bin %> backup:create --all --encrypt --out /var/backups/edify'];
  static override args = { slug: Args.string({ description: 'The school; leave out with --all' }) };
  static override flags = {
    all: Flags.boolean({ description: 'One archive per school', default: false }),
    out: Flags.string({ description: 'Directory or s3://bucket/prefix for the archives (default BACKUP_TARGET, else <EDIFY_DATA_DIR>/backups)' }),
    encrypt: Flags.boolean({ description: 'Encrypt with EDIFY_BACKUP_KEY or --passphrase-file', default: false }),
    'passphrase-file': Flags.string({ description: 'File holding the passphrase (scrypt) to encrypt with' }),
  };

  async run() {
    const { args, flags } = await this.parse(BackupCreate);
    if (Boolean(args.slug) === flags.all) this.error('Name one school, or pass --all.', { exit: 2 });
    const config = this.loadConfig();
    const key = flags.encrypt ? await keyFrom({ envKey: process.env.EDIFY_BACKUP_KEY, passphraseFile: flags['passphrase-file'] }) : undefined;
    if (flags.encrypt && !key) throw backupError('--encrypt needs EDIFY_BACKUP_KEY or --passphrase-file.');
    const dbs = await this.database(config);
    const target = backupTarget(flags.out ?? config.backup.target, config);
    const dir = target.staging;
    const slugs = flags.all ? (await listTenants(dbs.owner)).map((t) => t.slug) : [args.slug as string];
    const results: BackupResult[] = [];
    for (const [i, slug] of slugs.entries()) {
      const prefix = slugs.length > 1 ? `[${i + 1}/${slugs.length}] ${slug}: ` : `${slug}: `;
      const result = await createBackup({
        ownerUrl: dbs.ownerUrl,
        slug,
        dir,
        ...(key ? { key } : {}),
        onProgress: (m) => this.logToStderr(`${prefix}${m}`),
      });
      result.file = await target.store(result.file);
      results.push(result);
      await platformAudit(dbs.owner, this.operator(), 'tenant.backed_up', result.school, {
        file: result.file,
        rows: result.rows,
        bytes: result.bytes,
        encrypted: result.encrypted,
      });
    }
    const rows = results.map((r) => ({ school: r.school.slug, file: r.file, tables: r.tables, rows: r.rows, bytes: r.bytes, encrypted: r.encrypted }));
    this.log(table(rows));
    this.log(`${results.length} backup(s), ${results.reduce((n, r) => n + r.rows, 0)} rows, ${results.reduce((n, r) => n + r.bytes, 0)} bytes.`);
    return flags.all ? { backups: rows } : rows[0];
  }
}

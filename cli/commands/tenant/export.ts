import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { createStorage } from '../../../api/files/storage.ts';
import { exportTenant } from '../../../api/platform/lifecycle.ts';
import { EdifyCommand } from '../../base.ts';

export default class TenantExport extends EdifyCommand {
  static override summary = 'Export a school’s data in a portable, human-readable form (CSV and JSON per table, plus its files)';
  static override description =
    'For a school that leaves or asks for its data: <out>/<slug>-export-<time>/ holds README.md, manifest.json (tables, columns, row counts, SHA-256, files), data/<table>.csv and data/<table>.json, and files/<id>/<name>. One consistent snapshot; sign-in sessions, one-time tokens, password and token hashes and sealed secrets are left out. To move a school between Edify servers, use backup:create instead.';
  static override examples = ['<%= config.bin %> tenant:export lincoln --out /tmp/exports'];
  static override args = { slug: Args.string({ required: true }) };
  static override flags = { out: Flags.string({ description: 'Directory to write the export into', default: '.' }) };

  async run() {
    const { args, flags } = await this.parse(TenantExport);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const result = await exportTenant({
      owner: dbs.owner,
      ownerUrl: dbs.ownerUrl,
      slug: args.slug,
      out: path.resolve(flags.out),
      storage: createStorage(config.files),
      actor: this.operator(),
      onProgress: (m) => this.logToStderr(`export: ${m}`),
    });
    const rows = result.tables.reduce((n, t) => n + t.rows, 0);
    this.log(`Exported ${result.school.slug}: ${rows} rows in ${result.tables.length} tables and ${result.files.exported} file(s) to ${result.dir}`);
    if (result.files.missing) this.warn(`${result.files.missing} file(s) could not be read from storage; the manifest lists them with path null.`);
    return result;
  }
}

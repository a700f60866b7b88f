import { Flags } from '@oclif/core';
import { listJobs } from '../../../api/jobs/admin.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class JobsList extends EdifyCommand {
  static override summary = 'List recent background jobs (newest first); --failed: dead letters waiting for jobs:retry';
  static override examples = ['<%= config.bin %> jobs:list', '<%= config.bin %> jobs:list --failed --json'];
  static override flags = {
    failed: Flags.boolean({ description: 'Only jobs that failed every retry (their dead letters)', default: false }),
    limit: Flags.integer({ description: 'At most this many rows', default: 50, min: 1, max: 10_000 }),
  };

  async run() {
    const { flags } = await this.parse(JobsList);
    const rows = await listJobs(await this.jobs(this.loadConfig()), { failed: flags.failed, limit: flags.limit });
    if (rows.length === 0) this.log(flags.failed ? 'No failed jobs.' : 'No jobs.');
    else
      this.log(
        table(
          rows.map((r) => ({
            id: r.id,
            queue: r.queue,
            state: r.state,
            retries: r.retry_count,
            created: r.created_on.toISOString(),
            error: r.error,
          })),
        ),
      );
    return { jobs: rows };
  }
}

import { Args, Flags } from '@oclif/core';
import { retryJobs } from '../../../api/jobs/admin.ts';
import { EdifyCommand } from '../../base.ts';

export default class JobsRetry extends EdifyCommand {
  static override summary = 'Send a failed job (or every dead letter) back to its queue';
  static override examples = ['<%= config.bin %> jobs:retry 0b7c…', '<%= config.bin %> jobs:retry --all-failed'];
  static override args = { id: Args.string({ description: 'The job id (from jobs:list --failed)' }) };
  static override flags = { 'all-failed': Flags.boolean({ description: 'Every dead letter waiting', default: false }) };

  async run() {
    const { args, flags } = await this.parse(JobsRetry);
    if (!args.id === !flags['all-failed']) this.error('Give a job id or --all-failed (not both).', { exit: 2 });
    const jobs = await this.jobs(this.loadConfig());
    let result: Awaited<ReturnType<typeof retryJobs>>;
    try {
      result = await retryJobs(jobs, args.id ? { id: args.id } : { allFailed: true });
    } catch (error) {
      this.error((error as Error).message, { exit: 1 });
    }
    this.log(result.retried.length === 0 ? 'Nothing to retry.' : `Queued again: ${result.retried.length} job(s).`);
    return result;
  }
}

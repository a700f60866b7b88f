import { jobStats } from '../../../api/jobs/admin.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class JobsStats extends EdifyCommand {
  static override summary = 'Job queues: counts by state, oldest waiting job, and the cron schedules';

  async run() {
    const stats = await jobStats(await this.jobs(this.loadConfig()));
    this.log(
      table(
        stats.queues.map((q) => ({
          queue: q.queue,
          waiting: (q.counts.created ?? 0) + (q.counts.retry ?? 0),
          active: q.counts.active ?? 0,
          completed: q.counts.completed ?? 0,
          failed: q.counts.failed ?? 0,
          oldest_waiting: q.oldest_waiting?.toISOString() ?? '',
        })),
      ),
    );
    this.log('');
    this.log(table(stats.schedules.map((s) => ({ schedule: s.queue, cron: s.cron, tz: s.timezone ?? 'UTC', does: s.description }))));
    return stats;
  }
}

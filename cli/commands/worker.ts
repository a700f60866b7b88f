import { Flags } from '@oclif/core';
import { createSecretBox, parseEncryptionKeys } from '../../api/auth/secret-box.ts';
import { createLogger } from '../../api/http/logger.ts';
import { createMetrics, startMetricsServer } from '../../api/http/metrics.ts';
import { openJobs, QUEUE_NAMES } from '../../api/jobs/jobs.ts';
import { startWorker } from '../../api/jobs/worker.ts';
import { createMailer } from '../../api/mail/mailer.ts';
import { EdifyCommand } from '../base.ts';
import { untilSignal } from '../signals.ts';

export default class Worker extends EdifyCommand {
  static override summary = 'Run the background job worker (email, notifications, schedules) until stopped';
  static override description =
    "Runs every queue's handlers and the cron schedules. Several workers may run at once. --queue runs only the named queues (repeatable), e.g. a worker that only sends email; such a worker registers no schedules, so keep at least one full worker running. On SIGINT/SIGTERM, running jobs get WORKER_SHUTDOWN_SECONDS to finish.";
  static override flags = {
    queue: Flags.string({ description: 'Only this queue (repeatable); default: every queue and the schedules', multiple: true, options: QUEUE_NAMES }),
  };

  async run() {
    const { flags } = await this.parse(Worker);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const log = createLogger(process.env.LOG_LEVEL ?? 'info');
    const jobs = await openJobs({
      ownerUrl: dbs.ownerUrl,
      prefix: config.jobPrefix,
      supervise: true,
      ...(process.env.EDIFY_SUPERVISE_SECONDS ? { superviseIntervalSeconds: Number(process.env.EDIFY_SUPERVISE_SECONDS) } : {}),
      onError: (error) => log.error({ err: error }, 'job queue error'),
    });
    const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, mailDir: `${config.dataDir}/mail` });
    const secretBox = createSecretBox(parseEncryptionKeys(config.encryptionKeys));
    // A worker-only process has no HTTP server: with METRICS_PORT it serves its own /metrics there.
    const metrics = createMetrics({ defaults: true });
    metrics.watchPool('app', dbs.app);
    metrics.watchPool('owner', dbs.owner);
    metrics.watchJobs(jobs);
    const queues = flags.queue as (typeof QUEUE_NAMES)[number][] | undefined;
    const worker = await startWorker({ config, dbs, log, mailer, secretBox, clock: () => new Date(), jobs, metrics }, { queues });
    let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
    // Handlers before the announcement (cli/signals.ts).
    const stopped = untilSignal(async (signal) => {
      this.logToStderr(`${signal}: letting running jobs finish (up to ${config.workerShutdownMs / 1000} s)…`);
      try {
        await worker.stop(config.workerShutdownMs);
        await metricsServer?.close();
      } catch (error) {
        this.logToStderr(String(error));
      }
    });
    metricsServer = config.observability.metricsPort ? await startMetricsServer(metrics, config) : undefined;
    this.logToStderr(`Worker running${queues ? ` (queues: ${queues.join(', ')})` : ''}. Press Ctrl-C to stop.`);
    await stopped;
    return { stopped: true };
  }
}

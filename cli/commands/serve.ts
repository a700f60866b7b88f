import cluster, { type Worker } from 'node:cluster';
import { Flags } from '@oclif/core';
import { type Config, loadConfig } from '../../api/config.ts';
import { DEMO_PASSWORD, DEMO_PEOPLE } from '../../api/platform/demo.ts';
import { startServer } from '../../api/server.ts';
import { EdifyCommand } from '../base.ts';
import { untilSignal } from '../signals.ts';

/** What a cluster worker tells the primary once it answers requests. */
type Ready = { type: 'edify-ready'; port: number; url: string; seeded: boolean };
/** ...and when it was asked to stop (Ctrl-C reaches every process): not a crash to restart. */
type Stopping = { type: 'edify-stopping' };
/** A worker that dies this often within RESTART_WINDOW_MS stops the whole server (a crash loop). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export default class Serve extends EdifyCommand {
  static override summary = 'Run the Edify web server (migrates first; on an empty development database, creates the demo school)';
  static override description =
    `--workers N runs N API processes sharing the port (node:cluster), for a machine with several cores: the first migrates, seeds the demo and (unless --no-worker) runs the job worker; the others only answer requests. A process that dies is started again. Several processes need REDIS_URL in production, so that rate limits count across them.`;
  static override flags = {
    port: Flags.integer({ description: 'Port to listen on (default: PORT or 3000)' }),
    worker: Flags.boolean({
      description: 'Also run the job worker in this process (--no-worker: run `edify worker` separately)',
      default: true,
      allowNo: true,
    }),
    workers: Flags.integer({
      description: 'API processes sharing the port (default: WEB_CONCURRENCY or 1)',
      min: 1,
      max: 64,
      env: 'WEB_CONCURRENCY',
    }),
  };

  async run() {
    const { flags } = await this.parse(Serve);
    const config = loadConfig({ ...process.env, ...(flags.port !== undefined ? { PORT: String(flags.port) } : {}) });
    if (cluster.isWorker) return this.serveAsClusterWorker(config);
    const processes = flags.workers ?? 1;
    if (processes > 1 && config.env === 'production' && config.redisUrl === undefined) {
      this.error('--workers above 1 needs REDIS_URL in production: each process would otherwise count rate limits on its own.', { exit: 2 });
    }
    if (config.databaseUrl === undefined) this.logToStderr('Starting the embedded PostgreSQL (DATABASE_URL is not set)…');
    if (processes > 1) return this.serveCluster(config, processes, flags.worker);
    const running = await startServer(config, { worker: flags.worker });
    // Handlers before the announcement (cli/signals.ts).
    const stopped = untilSignal((signal) => {
      this.logToStderr(`\n${signal}: stopping…`);
      return running.close().catch((error) => this.logToStderr(String(error)));
    });
    this.announce(config, { port: running.port, url: running.url, seeded: running.seeded }, 1);
    await stopped;
    this.logToStderr('Stopped.');
    return { stopped: true };
  }

  private announce(config: Config, ready: Omit<Ready, 'type'>, processes: number) {
    const demoUrl = `http://demo.${config.baseDomain}:${ready.port}`;
    const across = processes > 1 ? ` (${processes} processes)` : '';
    this.log(`Edify is listening on http://${config.host}:${ready.port} (platform: ${ready.url})${across}`);
    if (ready.seeded) {
      this.log(`Created the demo school at ${demoUrl}`);
      for (const person of DEMO_PEOPLE) this.log(`  ${person.role.padEnd(8)} ${person.email}  password: ${DEMO_PASSWORD}`);
    }
    this.log('Press Ctrl-C to stop.');
  }

  /** The primary: starts the first process (migrations, demo, jobs), then the others once it
   * answers, restarts a process that dies, and stops them all on SIGINT/SIGTERM. */
  private async serveCluster(config: Config, processes: number, runJobs: boolean) {
    let stopping = false;
    const restarts: number[] = [];
    const start = (index: number) => {
      const first = index === 1;
      const worker = cluster.fork({
        EDIFY_PROCESS_INDEX: String(index),
        EDIFY_PROCESS_MIGRATE: first ? '1' : '0',
        EDIFY_PROCESS_JOBS: first && runJobs ? '1' : '0',
        // Only the first may create the demo school (two at once would race for it).
        ...(first ? {} : { EDIFY_DEMO: 'false' }),
      });
      let asked = false;
      const ready = new Promise<Ready>((resolve, reject) => {
        worker.on('message', (message: Ready | Stopping) => {
          if (message?.type === 'edify-ready') resolve(message);
          if (message?.type === 'edify-stopping') asked = true;
        });
        worker.once('exit', (code, signal) => reject(new Error(`process ${index} exited before it was ready (${signal ?? `code ${code}`})`)));
      });
      worker.once('exit', (code, signal) => {
        if (stopping || asked) return;
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && (restarts[0] as number) < now - RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          this.logToStderr(`Process ${index} exited (${signal ?? `code ${code}`}); more than ${MAX_RESTARTS} exits in a minute: stopping.`);
          stopAll(1);
          return;
        }
        this.logToStderr(`Process ${index} exited (${signal ?? `code ${code}`}): starting it again.`);
        start(index).ready.then(
          () => this.logToStderr(`Process ${index} is answering again.`),
          (error) => this.logToStderr(String(error)),
        );
      });
      return { worker, ready };
    };
    let stopped: () => void = () => undefined;
    const allStopped = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      process.exitCode = code;
      const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      if (running.length === 0) stopped();
      let left = running.length;
      for (const w of running) {
        w.once('exit', () => {
          left -= 1;
          if (left === 0) stopped();
        });
        w.process.kill('SIGTERM');
      }
    };
    // Handlers before the announcement (cli/signals.ts); a signal while starting stops them all.
    const signalled = untilSignal((signal) => {
      this.logToStderr(`\n${signal}: stopping…`);
      stopAll(0);
      return allStopped;
    });
    try {
      const first = await start(1).ready;
      const rest = await Promise.all(Array.from({ length: processes - 1 }, (_, i) => start(i + 2).ready));
      this.announce(config, { ...first, port: rest[0]?.port ?? first.port }, processes);
    } catch (error) {
      stopAll(1);
      await allStopped;
      this.error(String(error instanceof Error ? error.message : error), { exit: 1 });
    }
    await Promise.race([signalled, allStopped]);
    this.logToStderr('Stopped.');
    return { stopped: true, processes };
  }

  /** One process of `--workers N`: serves, tells the primary, stops on SIGTERM/SIGINT or when
   * the primary is gone. */
  private async serveAsClusterWorker(config: Config) {
    const running = await startServer(config, {
      migrate: process.env.EDIFY_PROCESS_MIGRATE === '1',
      worker: process.env.EDIFY_PROCESS_JOBS === '1',
    });
    process.send?.({ type: 'edify-ready', port: running.port, url: running.url, seeded: running.seeded } satisfies Ready);
    await untilSignal(() => {
      if (process.connected) process.send?.({ type: 'edify-stopping' } satisfies Stopping);
      return running.close().catch((error) => this.logToStderr(String(error)));
    }, ['disconnect']);
    return { stopped: true };
  }
}

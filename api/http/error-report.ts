// An optional error hook for a Sentry-compatible service (SENTRY_DSN): every request answered 500
// (an unexpected error, problem code `internal`) is posted as one event to the DSN's envelope
// endpoint. A small client rather than the official SDK, which would bring OpenTelemetry and
// instrument the process; the envelope protocol is a few lines of JSON.
//
// What is sent: the error's type, a scrubbed message and stack frames, the method and the declared
// route (not the URL: no ids, no query string), the request id, the environment and release.
// Never the request body, cookies, the Authorization header or any other header, the school or
// the person. Messages are scrubbed too: knex puts the SQL (with values) in front of a database
// error's message, and PostgreSQL's details quote the offending values.
//
// Posting never delays or fails the request: it runs after the answer, with a 3 s timeout, at
// most 10 at a time (further events are dropped and counted), and its own failures are logged once
// per burst.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type ErrorContext = { method: string; route: string | undefined; requestId: string | undefined };
export type ErrorReporter = {
  /** Queues the event; returns the promise of its delivery (tests await it; requests never do). */
  report: (error: unknown, context: ErrorContext) => Promise<void>;
  readonly stats: { sent: number; failed: number; dropped: number };
};

type Log = { warn: (fields: object, message: string) => void };

export type Dsn = { envelopeUrl: string; publicKey: string; dsn: string };

/** `https://<public key>@<host>[/<path>]/<project id>` → the envelope endpoint and key. */
export function parseDsn(dsn: string): Dsn {
  const url = new URL(dsn);
  const projectId = url.pathname.split('/').filter(Boolean).pop();
  if (!url.username || !projectId) throw new Error('SENTRY_DSN must look like https://<key>@<host>/<project id>');
  const prefix = url.pathname.slice(0, url.pathname.lastIndexOf('/'));
  return { envelopeUrl: `${url.protocol}//${url.host}${prefix}/api/${projectId}/envelope/`, publicKey: decodeURIComponent(url.username), dsn };
}

const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
})();

const MAX_IN_FLIGHT = 10;
const TIMEOUT_MS = 3_000;

export function createErrorReporter(dsnText: string, options: { environment: string; log: Log }): ErrorReporter {
  const dsn = parseDsn(dsnText);
  const stats = { sent: 0, failed: 0, dropped: 0 };
  let inFlight = 0;
  let complained = false;
  const report = async (error: unknown, context: ErrorContext) => {
    if (inFlight >= MAX_IN_FLIGHT) {
      stats.dropped++;
      return;
    }
    inFlight++;
    try {
      const event = buildEvent(error, context, options.environment);
      const body = `${JSON.stringify({ event_id: event.event_id, sent_at: new Date().toISOString(), dsn: dsn.dsn })}\n${JSON.stringify({ type: 'event' })}\n${JSON.stringify(event)}\n`;
      const res = await fetch(dsn.envelopeUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-sentry-envelope',
          'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=edify/${VERSION}`,
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`the error service answered ${res.status}`);
      stats.sent++;
      complained = false;
    } catch (failure) {
      stats.failed++;
      if (!complained) options.log.warn({ err_message: (failure as Error).message }, 'could not send an error report');
      complained = true;
    } finally {
      inFlight--;
    }
  };
  return { report, stats };
}

type Frame = { function?: string; filename?: string; lineno?: number; colno?: number; in_app: boolean };

export function buildEvent(error: unknown, context: ErrorContext, environment: string) {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    event_id: randomUUID().replaceAll('-', ''),
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: 'error',
    logger: 'edify',
    environment,
    release: `edify@${VERSION}`,
    exception: {
      values: [
        {
          type: e.name || 'Error',
          value: scrubMessage(e.message),
          stacktrace: { frames: framesOf(e.stack) },
        },
      ],
    },
    request: { method: context.method, url: context.route ?? '(unmatched)' },
    tags: {
      route: context.route ?? '(unmatched)',
      request_id: context.requestId ?? '',
      ...(typeof (e as { code?: unknown }).code === 'string' ? { code: String((e as { code?: unknown }).code) } : {}),
    },
  };
}

/** A message without the values it may quote: knex's SQL prefix, PostgreSQL's `Key (x)=(value)`
 * details, quoted strings, email addresses and long numbers. */
export function scrubMessage(message: string): string {
  // knex: "<sql> - <driver message>"; the SQL may carry inlined values.
  const knexSplit = /^\s*(select|insert|update|delete|with|begin|commit|set|create|alter|drop)\b[\s\S]* - ([^-][\s\S]*)$/i.exec(message);
  const text = knexSplit?.[2] ?? message;
  return text
    .replace(/=\((?:[^()]|\([^()]*\))*\)/g, '=(?)')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '"?"')
    .replace(/[^\s@<>()"']+@[^\s@<>()"']+\.[a-z]{2,}/gi, '[email]')
    .replace(/\b\d{4,}\b/g, '?')
    .slice(0, 1000);
}

function framesOf(stack: string | undefined): Frame[] {
  const frames: Frame[] = [];
  for (const line of (stack ?? '').split('\n').slice(1, 51)) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const filename = (m[2] ?? '').replace(/^file:\/\//, '');
    frames.push({
      ...(m[1] ? { function: m[1] } : {}),
      filename,
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: !filename.includes('node_modules') && !filename.startsWith('node:'),
    });
  }
  // Sentry wants the outermost call first.
  return frames.reverse();
}

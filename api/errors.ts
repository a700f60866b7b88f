// The error catalogue: every failure a client or an operator can cause has a stable code here.
// HTTP turns it into application/problem+json once (api/http/problem.ts); the CLI turns it into
// a one-line message once (cli/base.ts). Services throw these and nothing else on purpose.

export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad request' },
  'malformed-json': { status: 400, title: 'Malformed JSON' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  'invalid-credentials': { status: 401, title: 'Invalid credentials' },
  forbidden: { status: 403, title: 'Forbidden' },
  'tenant-suspended': { status: 403, title: 'School suspended' },
  'two-factor-enrolment-required': { status: 403, title: 'Two-factor enrolment required' },
  'sso-required': { status: 403, title: 'Single sign-on required' },
  'school-read-only': { status: 403, title: 'School is read-only' },
  'plan-upgrade-required': { status: 403, title: 'Not included in the plan' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  /** A quiz attempt past its deadline (and grace) or already submitted: its answers are final. */
  'attempt-closed': { status: 409, title: 'Attempt closed' },
  'seat-limit-reached': { status: 409, title: 'Seat limit reached' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-failed': { status: 422, title: 'Validation failed' },
  /** An upload the virus scanner found infected: nothing of it is kept. */
  'file-infected': { status: 422, title: 'File rejected by the virus scanner' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
  /** The database cannot be reached (restarting, failed over, network): nothing was done; retry. */
  'database-unavailable': { status: 503, title: 'Database unavailable' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_BASE = 'https://edify.app/problems/';

export type FieldError = {
  /** Where the field was: body, query, params or headers. */
  in: 'body' | 'query' | 'params' | 'headers';
  /** Dotted path to the field inside that location ('' for the whole thing). */
  field: string;
  message: string;
};

export class AppError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ProblemCode, detail: string, options: { errors?: FieldError[]; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.errors = options.errors;
    this.extra = options.extra;
  }
}

export const notFound = (what: string) => new AppError('not-found', `${what} was not found.`);
export const forbidden = (detail: string) => new AppError('forbidden', detail);
export const conflict = (detail: string, extra?: Record<string, unknown>) => new AppError('conflict', detail, { extra });
export const invalid = (errors: FieldError[], detail = 'Some fields are not valid; see errors.') => new AppError('validation-failed', detail, { errors });

/** How long a client is told to wait when the database is away (a restart or failover takes seconds). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The one answer to "the database cannot be reached": 503 database-unavailable with Retry-After. */
export const databaseUnavailable = (cause?: unknown) =>
  new AppError('database-unavailable', 'The database cannot be reached right now; nothing was changed. Try again in a moment.', {
    cause,
    extra: { retry_after: DATABASE_RETRY_AFTER_SECONDS },
  });

/** Set by api/db/connection.ts on a socket error (ECONNREFUSED, ECONNRESET, ...) that came from a
 * database connection: the same codes from an HTTP client or a mail relay are not the database. */
export const FROM_DATABASE = Symbol.for('edify.database-connection');
// pg's own messages for a connection that died or never came up (they carry no code).
const LOST_CONNECTION = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable/;
// tarn's message when an acquire timed out with no failed connection attempt behind it (a full pool).
const POOL_FULL = 'operation timed out for an unknown reason';

/** Objection wraps a query's error (db-errors' DBError, without the SQLSTATE): the driver's own
 * error is its `nativeError`. Without this, a lock or statement timeout inside an Objection query
 * (a class rename waiting on a held row) answered 500 instead of 503. */
function unwrapped(error: unknown): unknown {
  const native = (error as { nativeError?: unknown } | undefined)?.nativeError;
  return native && typeof native === 'object' ? native : error;
}

/** True when the error says the database is unreachable or went away, not that a query was
 * wrong: socket errors from a database connection, PostgreSQL's connection exceptions (class 08)
 * and shutdown or start-up (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 * cannot_connect_now), pg's messages for a connection that ended, and a pool acquire that timed
 * out because every attempt to connect failed. */
export function isConnectionError(error: unknown): boolean {
  error = unwrapped(error);
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; [FROM_DATABASE]?: boolean } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e[FROM_DATABASE] === true) return true;
  // pgbouncer reports its own waiting-queue timeout as 08P01: the database is busy, not away.
  if (typeof e.message === 'string' && e.message.includes('query_wait_timeout')) return false;
  if (e.name === 'KnexTimeoutError') {
    // tarn keeps the last failed connection attempt's message as the timeout's cause.
    const cause = (e.cause as { message?: unknown } | undefined)?.message;
    return typeof cause === 'string' && cause !== POOL_FULL;
  }
  const code = e.code;
  if (typeof code === 'string') {
    // SQLSTATEs: five characters, class 08 and the three shutdown/start-up codes.
    return /^(08...|57P0[123])$/.test(code);
  }
  return typeof e.message === 'string' && LOST_CONNECTION.test(e.message);
}

/** Maps database errors a client can cause into catalogue errors; anything else stays a bug. */
export function fromDatabaseError(error: unknown): AppError | undefined {
  error = unwrapped(error);
  // The database is away (restart, failover, network): 503 database-unavailable, never a 500.
  if (isConnectionError(error)) return databaseUnavailable(error);
  // Every pooled connection stayed busy for the whole acquire timeout (or, behind pgbouncer, the
  // wait in its queue passed query_wait_timeout): the server is overloaded, not broken. A 503
  // with Retry-After lets clients (an exam hall's autosaves) back off and retry.
  const message = (error as { message?: unknown })?.message;
  if ((error as { name?: unknown })?.name === 'KnexTimeoutError' || (typeof message === 'string' && message.includes('query_wait_timeout'))) {
    return new AppError('unavailable', 'The server is busy; try again in a moment.', { cause: error, extra: { retry_after: 2 } });
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  switch (code) {
    case '23505':
      return new AppError('conflict', 'That would duplicate an existing record.', { cause: error });
    case '23514':
      return new AppError('validation-failed', 'A value breaks a rule of this record.', { cause: error });
    case '23503':
      return new AppError('validation-failed', 'A referenced record does not exist.', { cause: error });
    // A NUL character in text (22021) or inside JSON (22P05) that got past validation.
    case '22021':
    case '22P05':
      return new AppError('validation-failed', 'A text value contains a character that cannot be stored (NUL, \\u0000).', { cause: error });
    case '22P02':
    case '22007':
    case '22008':
      return new AppError('bad-request', 'A value has the wrong format.', { cause: error });
    // A tenant session's bounded wait ran out (tenants/session.ts: statement_timeout, lock_timeout):
    // the database is busy or a row is held by someone else; nothing was changed, retry shortly.
    case '57014':
      return new AppError('unavailable', 'The request took too long and was cancelled; try again.', { cause: error, extra: { retry_after: 2 } });
    case '55P03':
      return new AppError('unavailable', 'Someone else is changing this right now; try again in a moment.', { cause: error, extra: { retry_after: 2 } });
    // Too many connections (the server's max_connections, or pgbouncer's limits): overload.
    case '53300':
      return new AppError('unavailable', 'The server is busy; try again in a moment.', { cause: error, extra: { retry_after: 2 } });
    default:
      return undefined;
  }
}

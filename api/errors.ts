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

/** Maps database errors a client can cause into catalogue errors; anything else stays a bug. */
export function fromDatabaseError(error: unknown): AppError | undefined {
  // Every pooled connection stayed busy for the whole acquire timeout: the server is overloaded,
  // not broken. A 503 with Retry-After lets clients (an exam hall's autosaves) back off and retry.
  if ((error as { name?: unknown })?.name === 'KnexTimeoutError') {
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
    case '57014':
      return new AppError('unavailable', 'The request took too long and was cancelled; try again.', { cause: error });
    default:
      return undefined;
  }
}

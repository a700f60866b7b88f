// What middleware leaves on ctx.state for the ones after it. Per-request state lives only here.
import type { Logger } from 'pino';
import type { HostTarget } from '../../tenants/resolve.ts';
import type { Scope } from '../scope.ts';

export type AppState = {
  requestId: string;
  log: Logger;
  host: HostTarget;
  scope?: Scope;
  /** The account this request proved it acts for, for `per: 'account'` rate limits. */
  account?: string;
  /** Set by page routes (api/web/): errors answer as HTML pages, not problem documents. */
  page?: boolean;
};

// SAML state that can no longer be used: outstanding AuthnRequest ids past their 10 minutes
// (saml_requests) and replay records of assertions past their validity (saml_replays, kept 5
// minutes beyond it). Every start of a sign-in writes a request row, so without this the table
// only grows. Runs inside one school's tenant session (the job runner's per-school tick, or
// `edify sso:prune`); idempotent.
import { now, type Scope } from '../scope.ts';

export async function pruneSamlState(scope: Pick<Scope, 'db' | 'clock'>): Promise<{ requests: number; replays: number }> {
  const at = now(scope);
  const requests = await scope.db('saml_requests').where('expires_at', '<', at).delete();
  const replays = await scope.db('saml_replays').where('expires_at', '<', at).delete();
  return { requests, replays };
}

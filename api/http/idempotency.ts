// Idempotency-Key on creating requests that people retry (a hand-in on a train's wifi, starting a
// quiz attempt, paying): the first answer is kept for a day with the key, in the same transaction
// as the change, so a retry gets that answer again (header Idempotent-Replayed: true) and changes
// nothing. A failed request keeps nothing (its transaction rolled back), so its retry runs afresh.
// Two copies sent at once: the second waits on the key's unique index until the first commits,
// then replays it. Keys belong to the person who sent them (nobody can read another's answer).
import { createHash } from 'node:crypto';
import { AppError, conflict } from '../errors.ts';
import { now, type Scope } from '../scope.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long an answer is kept for replay (and when the school tick prunes it). */
export const IDEMPOTENCY_TTL_HOURS = 24;
/** An answer still missing this long after its key was claimed belongs to a request that died
 * between its commit and its answer (a payment answered after commit): the key may be used again. */
const ABANDONED_AFTER_MS = 60_000;

export type StoredAnswer = { status: number; body?: unknown; headers?: Record<string, string> };

const KEY_PATTERN = /^[\x21-\x7e]{8,200}$/;

const invalidKey = (message: string) =>
  new AppError('validation-failed', `The ${IDEMPOTENCY_HEADER} header ${message}.`, { errors: [{ in: 'headers', field: IDEMPOTENCY_HEADER, message }] });

/** The request's identity for the key: the same key with a different request is refused. */
export function fingerprint(method: string, path: string, input: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(input)}`)
    .digest('base64url');
}

/** Claims the key for this request, or returns the answer of the request that claimed it first. */
export async function claimIdempotencyKey(scope: Scope, key: string, print: string): Promise<{ replay?: StoredAnswer }> {
  if (!KEY_PATTERN.test(key)) throw invalidKey('must be 8 to 200 visible ASCII characters (a UUID is ideal)');
  if (scope.actor.type !== 'user') return {};
  const userId = scope.actor.user.id;
  for (let attempt = 0; attempt < 2; attempt++) {
    const inserted = await scope
      .db('idempotency_keys')
      .insert({ tenant_id: scope.tenant.id, user_id: userId, key, fingerprint: print, created_at: now(scope) })
      .onConflict(['tenant_id', 'user_id', 'key'])
      .ignore()
      .returning('id');
    if (inserted.length > 0) return {};
    const row = await scope.db('idempotency_keys').where({ user_id: userId, key }).first('fingerprint', 'status', 'answer', 'created_at');
    if (!row) continue; // pruned between the two statements: claim it again
    if (now(scope).getTime() - new Date(row.created_at).getTime() > IDEMPOTENCY_TTL_HOURS * 3_600_000) {
      // Expired (not pruned yet): the key is free again.
      await scope.db('idempotency_keys').where({ user_id: userId, key }).delete();
      continue;
    }
    if (row.fingerprint !== print) throw invalidKey('was already used for a different request; use a new key for a new change');
    if (row.status !== null) {
      const answer = row.answer as { body?: unknown; headers?: Record<string, string> } | null;
      return { replay: { status: row.status, body: answer?.body, headers: { ...(answer?.headers ?? {}), 'Idempotent-Replayed': 'true' } } };
    }
    if (now(scope).getTime() - new Date(row.created_at).getTime() < ABANDONED_AFTER_MS) {
      throw conflict('The first request with this Idempotency-Key is still being processed; try again in a moment.', { retry_after: 2 });
    }
    await scope.db('idempotency_keys').where({ user_id: userId, key }).delete();
  }
  throw conflict('The Idempotency-Key could not be claimed; try again.', { retry_after: 2 });
}

/** Keeps the answer with the key (in the request's own transaction, or a later one). */
export async function storeAnswer(scope: Scope, key: string, answer: StoredAnswer): Promise<void> {
  if (scope.actor.type !== 'user') return;
  await scope
    .db('idempotency_keys')
    .where({ user_id: scope.actor.user.id, key })
    .update({ status: answer.status, answer: JSON.stringify({ body: answer.body ?? null, headers: answer.headers ?? {} }) });
}

/** Lets a key be used again: the request answered with a problem, so nothing was done. */
export async function releaseKey(scope: Scope, key: string): Promise<void> {
  if (scope.actor.type !== 'user') return;
  await scope.db('idempotency_keys').where({ user_id: scope.actor.user.id, key }).delete();
}

/** For the school tick: answers older than a day are no longer replayed. */
export async function pruneIdempotencyKeys(scope: Scope): Promise<number> {
  return scope
    .db('idempotency_keys')
    .where('created_at', '<', new Date(now(scope).getTime() - IDEMPOTENCY_TTL_HOURS * 3_600_000))
    .delete();
}

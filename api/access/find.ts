// The one find-then-404-or-403. A feature passes the query that finds its record under a given
// action (its own accessibleBy filter); this decides the answer the same way everywhere:
// the record when the action is allowed on it, 403 when the caller may see it but not do this,
// 404 when they may not even see it (exactly as if it did not exist).
import { forbidden, notFound } from '../errors.ts';
import type { Action } from './ability.ts';

export type FindWords = {
  /** The subject of "… was not found" (e.g. 'The class'). */
  what: string;
  /** Why a person who can see it may not do this (a 403's detail); by action where it differs. */
  cannot: string | ((action: Action) => string);
};

export async function findAccessible<T>(action: Action, lookup: (action: Action) => PromiseLike<T | undefined>, words: FindWords): Promise<T> {
  const found = await lookup(action);
  if (found) return found;
  if (action !== 'read' && (await lookup('read'))) throw forbidden(typeof words.cannot === 'function' ? words.cannot(action) : words.cannot);
  throw notFound(words.what);
}

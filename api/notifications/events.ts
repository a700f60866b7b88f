// Live events for open pages (GET /me/events, Server-Sent Events). A change that concerns a person
// sends `pg_notify('edify_events', …)` in its own transaction, so the event exists only if the
// change commits, and every API process hears it: each process holds one LISTEN connection and
// hands each event to the streams open for exactly that school and that person.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Scope } from '../scope.ts';

export const CHANNEL = 'edify_events';

export type LiveEvent = { user_id: string; type: string; id: string };

/** Queues events for these people; delivered when the scope's transaction commits. */
export async function publishEvents(scope: Pick<Scope, 'db' | 'tenant'>, events: LiveEvent[]): Promise<void> {
  if (events.length === 0) return;
  const payloads = events.map((e) => JSON.stringify({ t: scope.tenant.id, u: e.user_id, type: e.type, id: e.id }));
  await scope.db.raw(`select pg_notify('${CHANNEL}', p) from unnest(?::text[]) as p`, [payloads]);
}

export type EventHub = {
  /** Calls fn for each event of this person at this school until the returned function is called. */
  subscribe(tenantId: string, userId: string, fn: (event: { type: string; id: string }) => void): Promise<() => void>;
  close(): Promise<void>;
};

/** One LISTEN connection per process, opened with the first subscriber. */
export function createEventHub(url: string, onError: (error: unknown) => void): EventHub {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  const connect = () => {
    if (closed) return Promise.reject(new Error('the event hub is closed'));
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'edify-events' });
      c.on('notification', (message) => {
        if (message.channel !== CHANNEL || !message.payload) return;
        try {
          const { t, u, type, id } = JSON.parse(message.payload) as { t: string; u: string; type: string; id: string };
          emitter.emit(`${t}:${u}`, { type, id });
        } catch (error) {
          onError(error);
        }
      });
      c.on('error', (error) => {
        onError(error);
        client = undefined;
        connecting = undefined;
      });
      await c.connect();
      // Closed while connecting: end this client too, or it would keep the process alive.
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      await c.query(`listen ${CHANNEL}`);
      client = c;
    })().catch((error) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
  return {
    async subscribe(tenantId, userId, fn) {
      await connect();
      const key = `${tenantId}:${userId}`;
      emitter.on(key, fn);
      return () => emitter.off(key, fn);
    },
    async close() {
      closed = true;
      await connecting?.catch(() => undefined);
      await client?.end().catch(() => undefined);
      client = undefined;
      connecting = undefined;
    },
  };
}

const hubs = new Map<string, EventHub>();

/** This process's hub for a database (one LISTEN connection however many streams are open). */
export function eventHub(url: string, onError: (error: unknown) => void): EventHub {
  let hub = hubs.get(url);
  if (!hub) {
    hub = createEventHub(url, onError);
    hubs.set(url, hub);
  }
  return hub;
}

export async function closeEventHubs(): Promise<void> {
  const all = [...hubs.values()];
  hubs.clear();
  await Promise.all(all.map((h) => h.close()));
}

// A dead Redis under load (docs/operations.md, Faults): Redis only holds rate-limit counters, so
// the limits count in process memory while it is away (logged once, counted in the store's stats),
// no request fails or waits on it, and the counters go back to Redis when it returns. A private
// redis-server is killed and started again; the machine's shared Redis is never touched.
import test from 'ava';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { startLoad } from '../helpers/load.ts';
import { startPrivateRedis } from '../helpers/services.ts';

/** Resolves on the client's next `name` event (events.once would reject on the 'error' events a
 * reconnecting client emits meanwhile). */
const next = (client: Redis, name: 'ready' | 'close') => new Promise<void>((resolve) => client.once(name, () => resolve()));

function recordingLog(): { log: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const note = (level: string) => (_fields: unknown, message: string) => lines.push({ level, message });
  const log = { warn: note('warn'), info: note('info'), error: note('error'), debug: () => {}, trace: () => {}, fatal: note('fatal') };
  (log as unknown as { child: () => unknown }).child = () => log;
  return { log: log as unknown as Logger, lines };
}

test('Redis killed and restarted under load: a rate-limited route keeps answering, counting in memory, then in Redis again', async (t) => {
  const redis = await startPrivateRedis();
  const { log, lines } = recordingLog();
  const app = await startApp({ redisUrl: redis.url, redisTimeoutMs: 200 }, { log });
  const store = app.deps.limiter;
  const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  t.teardown(() => probe.disconnect());
  const counters = async () => {
    await probe.connect().catch(() => undefined);
    const keys = await probe.keys('edify:limit:token:*');
    probe.disconnect();
    return keys;
  };
  const school = await createSchool();
  // Every request with a token meets the per-token limit (api/http/route.ts).
  const me = () => app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token });
  const redisClient = store.redis;
  if (!redisClient) throw new Error('the store should use Redis');
  if (redisClient.status !== 'ready') await next(redisClient, 'ready');

  t.is((await me()).status, 200);
  t.true((await counters()).length > 0, 'counters are in Redis while it is up');
  t.true(store.stats.usingRedis);

  const load = startLoad(4, me);
  t.teardown(() =>
    load.stop().then(
      () => undefined,
      () => undefined,
    ),
  );
  const closed = next(redisClient, 'close');
  await redis.stop();
  await closed;
  t.false(store.stats.usingRedis);
  // Away: the limit still counts (in memory) and answers at once.
  const first = await me();
  const second = await me();
  t.is(first.status, 200);
  t.is(second.status, 200);
  t.is(first.headers['ratelimit-limit'], '1200');
  t.true(Number(second.headers['ratelimit-remaining']) < Number(first.headers['ratelimit-remaining']), 'the memory counter counts');
  const fallbackChecks = store.stats.fallbackChecks;
  t.true(fallbackChecks >= 2);

  const back = next(redisClient, 'ready');
  await redis.start();
  await back;
  t.true(store.stats.usingRedis);
  const after = await me();
  t.is(after.status, 200);
  const answers = await load.stop();
  t.true((await counters()).length > 0, 'counters are in Redis again (it restarted empty)');

  t.deepEqual([...new Set(answers.map((res) => res.status))], [200], 'no request failed while Redis was away');
  t.is(store.stats.outages, 1);
  t.is(lines.filter((l) => l.message.startsWith('Redis unavailable')).length, 1, 'the outage is logged once');
  t.is(lines.filter((l) => l.message.startsWith('Redis is back')).length, 1);
  // The same, as /metrics shows it (api/http/metrics.ts reads the store's stats at scrape time).
  const text = (await app.deps.metrics?.registry.metrics()) ?? '';
  t.regex(text, /^edify_rate_limit_redis_outages_total 1$/m);
  t.regex(text, /^edify_rate_limit_redis_connected 1$/m);
  const fallback = Number(/^edify_rate_limit_fallback_checks_total (\d+)$/m.exec(text)?.[1]);
  t.true(fallback >= fallbackChecks, `fallback checks in /metrics: ${fallback}`);
});

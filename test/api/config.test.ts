// loadConfig refuses production settings that are only safe on a developer's machine: weak or
// default secrets (current and previous), the development database password, and a proxy setting
// that lets clients choose their own address.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { type Config, ConfigError, loadConfig, newEncryptionKey, newSigningSecret } from '../../api/config.ts';

const production = (env: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://owner:Vq3x9LmT0pZr7yKd@db.internal:5432/edify',
  APP_DATABASE_URL: 'postgres://edify_app:Hj5nB2wQ8sXc4vRt@db.internal:5432/edify',
  EDIFY_BASE_DOMAIN: 'edify.example',
  EDIFY_SECRET: newSigningSecret(),
  EDIFY_ENCRYPTION_KEY: newEncryptionKey('k1'),
  EDIFY_DEMO: 'false',
  ...env,
});

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const keyOf = (text: string) => `k2:${Buffer.from(text).toString('base64')}`;

test('a production configuration with generated secrets is accepted', (t) => {
  t.deepEqual(problems(production()), []);
  t.deepEqual(
    problems(production({ EDIFY_SECRET_PREVIOUS: newSigningSecret(), EDIFY_ENCRYPTION_KEY: `${newEncryptionKey('new')},${newEncryptionKey('old')}` })),
    [],
  );
  // Other honest shapes of random: hex, and a 32-byte key from any generator.
  t.deepEqual(problems(production({ EDIFY_SECRET: randomBytes(16).toString('hex') })), []);
});

test('every signing secret, current and previous, gets the same strength check in production', (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ EDIFY_SECRET_PREVIOUS: 'a'.repeat(32) }, /EDIFY_SECRET_PREVIOUS entry 1 has too little variety/],
    [{ EDIFY_SECRET_PREVIOUS: `${newSigningSecret()},${'change-me-2026!'.repeat(3)}` }, /EDIFY_SECRET_PREVIOUS entry 2 repeats itself/],
    [{ EDIFY_SECRET_PREVIOUS: 'changeme' }, /EDIFY_SECRET_PREVIOUS entry 1 is a well-known default/],
    [{ EDIFY_SECRET: 'correct-horse-42'.repeat(2) }, /EDIFY_SECRET repeats itself/],
    [{ EDIFY_SECRET: 'Tr0ub4dor&3-'.repeat(4) }, /EDIFY_SECRET repeats itself/],
    [{ EDIFY_SECRET: 'edify_app_local' }, /EDIFY_SECRET is a well-known default/],
  ];
  for (const [env, message] of cases) {
    const found = problems(production(env));
    t.true(
      found.some((p) => message.test(p)),
      `${JSON.stringify(env)} → ${JSON.stringify(found)}`,
    );
  }
});

test('every encryption key, current and older, must be random bytes', (t) => {
  const repeatedText = keyOf('0123456789abcdef0123456789abcdef');
  const repeatedWord = keyOf('edifyedifyedifyedifyedifyedifyed');
  for (const [value, entry] of [
    [repeatedText, 1],
    [`${newEncryptionKey('k1')},${repeatedText}`, 2],
    [`${newEncryptionKey('k1')},${repeatedWord}`, 2],
  ] as const) {
    const found = problems(production({ EDIFY_ENCRYPTION_KEY: value }));
    t.true(
      found.some((p) => new RegExp(`EDIFY_ENCRYPTION_KEY entry ${entry} \\("k2"\\) (repeats itself|has too little variety)`).test(p)),
      JSON.stringify(found),
    );
  }
});

test('production refuses the development database password', (t) => {
  const url = 'postgres://edify_app:edify_app_local@db.internal:5432/edify';
  t.true(problems(production({ APP_DATABASE_URL: url })).some((p) => /APP_DATABASE_URL uses a development/.test(p)));
  t.true(problems(production({ EDIFY_APP_DB_PASSWORD: 'edify_app_local' })).some((p) => /EDIFY_APP_DB_PASSWORD is a development/.test(p)));
  t.deepEqual(problems({ NODE_ENV: 'development', APP_DATABASE_URL: url }), [], 'fine on a developer machine');
});

test('TRUST_PROXY=true without naming the proxies is refused in production and means one hop elsewhere', (t) => {
  t.true(problems(production({ TRUST_PROXY: 'true' })).some((p) => /TRUST_PROXY=true needs TRUST_PROXY_HOPS .* or TRUSTED_PROXIES/.test(p)));
  const hops = loadConfig(production({ TRUST_PROXY_HOPS: '2' }));
  t.like(hops, { trustProxy: true, proxyHops: 2, trustedProxies: [] } satisfies Partial<Config>);
  const cidrs = loadConfig(production({ TRUSTED_PROXIES: '10.0.0.0/8, 2001:db8::/32' }));
  t.like(cidrs, { trustProxy: true, proxyHops: undefined });
  t.deepEqual(cidrs.trustedProxies, ['10.0.0.0/8', '2001:db8::/32']);
  t.true(problems(production({ TRUSTED_PROXIES: '10.0.0.0/99' })).some((p) => /TRUSTED_PROXIES: "10.0.0.0\/99"/.test(p)));
  t.true(problems(production({ TRUST_PROXY_HOPS: '1', TRUSTED_PROXIES: '10.0.0.0/8' })).some((p) => /set one of them/.test(p)));
  t.like(loadConfig({ NODE_ENV: 'development', TRUST_PROXY: 'true' }), { trustProxy: true, proxyHops: 1 });
  t.like(loadConfig({ NODE_ENV: 'development' }), { trustProxy: false, proxyHops: undefined });
});

test('metrics settings: a weak METRICS_TOKEN is refused in production, METRICS_PORT must not be PORT, thresholds and the heartbeat parse', (t) => {
  t.true(problems(production({ METRICS_TOKEN: 'changeme' })).some((p) => /^METRICS_TOKEN is a well-known default/.test(p)));
  t.true(problems(production({ METRICS_TOKEN: 'short-token' })).some((p) => /^METRICS_TOKEN is too short/.test(p)));
  t.deepEqual(problems(production({ METRICS_TOKEN: randomBytes(32).toString('base64url'), METRICS_PORT: '9100' })), []);
  t.true(problems(production({ METRICS_PORT: '3000', PORT: '3000' })).some((p) => /METRICS_PORT must differ from PORT/.test(p)));
  const config = loadConfig(production({ SLOW_REQUEST_MS: '250', SLOW_QUERY_MS: '0', WORKER_HEARTBEAT_SECONDS: '5', READY_REQUIRES_WORKER: 'true' }));
  t.like(config.observability, { slowRequestMs: 250, slowQueryMs: 0, workerHeartbeatMs: 5000, readyRequiresWorker: true, metricsHost: '127.0.0.1' });
});

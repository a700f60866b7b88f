// Debian packages the suite talks to for real: Chromium (browser tests), clamd (file scanning),
// redis-server and pgbouncer (private servers the fault and scale-out tests start).
// `npm test` installs the missing ones on a fresh machine (as root, through apt-get), so the two
// commands in the README are all a developer or CI needs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES: { name: string; provides: string }[] = [
  { name: 'chromium', provides: '/usr/bin/chromium' },
  { name: 'clamav-daemon', provides: '/usr/sbin/clamd' },
  // test/faults/redis.test.ts starts (and kills) its own redis-server.
  { name: 'redis-server', provides: '/usr/bin/redis-server' },
  // test/helpers/pgbouncer.ts starts private ones (the scale-out run and test/faults/pgbouncer.test.ts).
  { name: 'pgbouncer', provides: '/usr/sbin/pgbouncer' },
];

export function ensureSystemPackages(): void {
  const missing = PACKAGES.filter((p) => !existsSync(p.provides)).map((p) => p.name);
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    process.stderr.write(
      `Missing Debian packages: ${missing.join(', ')}. Install them (apt-get install ${missing.join(' ')}); their tests will fail without them.\n`,
    );
    return;
  }
  process.stderr.write(`Installing Debian packages the tests need: ${missing.join(', ')}…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
  if (result.status !== 0) process.stderr.write(`apt-get install ${missing.join(' ')} failed (exit ${result.status}).\n`);
}

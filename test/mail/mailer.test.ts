import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { SMTPServer } from 'smtp-server';
import { createMailer, DEFAULT_SCHOOL_COLOR, type EmailTemplate, type MailMessage } from '../../api/mail/mailer.ts';
import { lastMail, readMail } from '../helpers/mail.ts';

const FROM = 'Edify <no-reply@edify.test>';
const school = { name: 'Oakwood Primary', slug: 'oakwood', color: '#0a7d4f' };

const samples: Record<EmailTemplate, Record<string, unknown>> = {
  invite: {
    inviter_name: 'Ada Lovelace',
    school_name: 'Oakwood Primary',
    role: 'teacher',
    accept_url: 'https://oakwood.edify.test/invite?token=inv-secret-123',
    expires_at: new Date('2030-05-01T12:00:00Z'),
  },
  'password-reset': { first_name: 'Grace', reset_url: 'https://oakwood.edify.test/reset?token=reset-secret-456', expires_in_minutes: 30 },
  'two-factor-changed': { first_name: 'Grace', change: 'reset by an admin' },
  'billing-notice': { first_name: 'Grace', school_name: 'Oakwood Primary', message: 'A payment failed.', billing_url: 'https://oakwood.edify.test/billing' },
  'verify-email': { first_name: 'Grace', school_name: 'Oakwood Primary', verify_url: 'https://oakwood.edify.test/verify-email?token=verify-secret-789' },
  'new-sign-in': { first_name: 'Grace', when: '2030-05-01T08:15:00Z', ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (Macintosh) Firefox/130.0' },
  notification: {
    first_name: 'Grace',
    school_name: 'Oakwood Primary',
    title: 'Trip to the museum',
    body: 'Bring a packed lunch.',
    link_url: 'https://oakwood.edify.test/notices/1',
  },
  digest: {
    first_name: 'Grace',
    school_name: 'Oakwood Primary',
    items: ['Trip to the museum', 'Sports day'],
    count: 2,
    inbox_url: 'https://oakwood.edify.test/notifications',
  },
  'find-school': { schools: [{ name: 'Oakwood Primary', url: 'https://oakwood.edify.test/sign-in' }] },
};

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edify-mail-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('file mode writes a real .eml and a .json sidecar for each template', async (t) => {
  const root = await tempDir(t);
  const mailDir = path.join(root, 'not-yet-there');
  const mailer = createMailer({ from: FROM, mailDir });
  for (const [template, data] of Object.entries(samples) as [EmailTemplate, Record<string, unknown>][]) {
    const to = `${template}@example.test`;
    const sent = await mailer.send({ to, template, data, school });
    t.is(sent.to, to);
    t.truthy(sent.messageId);
    t.true(sent.subject.length > 0 && !sent.subject.includes('\n'), template);
    t.true(sent.html.includes('Oakwood Primary'), `${template}: the school's name is in the header`);
    t.true(sent.html.includes('#0a7d4f'), `${template}: the school's colour is used`);

    const stored = await lastMail(mailDir, to.toUpperCase());
    t.truthy(stored, template);
    t.like(stored, { to, template, subject: sent.subject, text: sent.text, html: sent.html });
    t.false(Number.isNaN(Date.parse(stored?.sent_at ?? '')));

    const emlName = (await readdir(mailDir)).find((f) => f.endsWith(`-${template}.eml`));
    t.truthy(emlName, template);
    t.regex(emlName ?? '', /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-z]+-/);
    const eml = await readFile(path.join(mailDir, emlName ?? ''), 'utf8');
    t.regex(eml, /^Subject: /m);
    t.regex(eml, new RegExp(`^To: ${to}`, 'm'));
    t.regex(eml, /^From: Edify <no-reply@edify\.test>/m);
    t.regex(eml, /Content-Type: multipart\/alternative/);
    t.regex(eml, /Content-Type: text\/plain/);
    t.regex(eml, /Content-Type: text\/html/);
  }
  const reset = await lastMail(mailDir, 'password-reset@example.test');
  t.true(reset?.text.includes('https://oakwood.edify.test/reset?token=reset-secret-456'), 'the text part carries the link');
  t.true(reset?.html.includes('href="https://oakwood.edify.test/reset?token&#x3D;reset-secret-456"'), 'the HTML part links to it');
  t.true(reset?.text.includes('30 minutes'));
  const invite = await lastMail(mailDir, 'invite@example.test');
  t.true(invite?.text.includes('Ada Lovelace has invited you to join Oakwood Primary on Edify as a teacher.'));
  t.true(invite?.text.includes('1 May 2030'), 'dates are written for people');
  t.true(invite?.html.includes('someone at Oakwood Primary invited you to Edify'), 'the footer suits an invitation');
  const twoFactor = await lastMail(mailDir, 'two-factor-changed@example.test');
  t.true(twoFactor?.text.includes('An administrator at your school reset two-step sign-in'));
  t.true(twoFactor?.text.includes('If this was not you'));
});

test('readMail returns one recipient’s messages, newest last', async (t) => {
  const mailDir = await tempDir(t);
  const mailer = createMailer({ from: FROM, mailDir });
  const to = 'teacher@example.test';
  for (const change of ['enabled', 'recovery codes regenerated', 'disabled']) {
    await mailer.send({ to, template: 'two-factor-changed', data: { first_name: 'Sam', change } });
  }
  await mailer.send({ to: 'someone-else@example.test', template: 'two-factor-changed', data: { first_name: 'Kim', change: 'enabled' } });
  const mails = await readMail(mailDir, to);
  t.is(mails.length, 3);
  t.true(mails[0]?.text.includes('turned on'));
  t.true(mails[1]?.text.includes('New recovery codes'));
  t.true(mails[2]?.text.includes('turned off'));
  t.is((await lastMail(mailDir, to))?.text, mails[2]?.text);
  t.deepEqual(await readMail(path.join(mailDir, 'missing'), to), []);
});

test('user data is escaped in HTML, and a colour that is not #rrggbb is ignored', async (t) => {
  const mailDir = await tempDir(t);
  const mailer = createMailer({ from: FROM, mailDir });
  const to = 'x@example.test';
  const sent = await mailer.send({
    to,
    template: 'invite',
    data: { ...samples.invite, inviter_name: "<script>alert(1)</script> O'Brien", school_name: 'A & B <School>' },
    school: { name: '<img src=x onerror=alert(1)>', slug: 'ab', color: 'red;background:url(https://evil.test/x)' },
  });
  t.false(sent.html.includes('<script>'));
  t.false(sent.html.includes('<img src=x'));
  t.true(sent.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.true(sent.html.includes('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'));
  t.false(sent.html.includes('evil.test'));
  t.true(sent.html.includes(`background:${DEFAULT_SCHOOL_COLOR}`));
  // The text part and the subject are not HTML: names appear as typed.
  t.true(sent.text.includes("<script>alert(1)</script> O'Brien has invited you"));
  t.is(sent.subject, "<script>alert(1)</script> O'Brien invited you to join A & B <School> on Edify");

  const noSchool = await mailer.send({ to, template: 'password-reset', data: samples['password-reset'] });
  t.true(noSchool.html.includes(`background:${DEFAULT_SCHOOL_COLOR}`));
  t.true(noSchool.html.includes('Edify'));
});

test('bad data is refused before anything is sent', async (t) => {
  const mailDir = await tempDir(t);
  const mailer = createMailer({ from: FROM, mailDir });
  const to = 'y@example.test';
  await t.throwsAsync(mailer.send({ to, template: 'password-reset', data: { first_name: 'Jo', expires_in_minutes: 30 } }), { message: /reset_url/ });
  await t.throwsAsync(mailer.send({ to, template: 'password-reset', data: { ...samples['password-reset'], reset_url: 'javascript:alert(1)' } }), {
    message: /http\(s\) URL/,
  });
  await t.throwsAsync(mailer.send({ to, template: 'two-factor-changed', data: { first_name: 'Jo', change: 'hacked' } }), { message: /change must be/ });
  await t.throwsAsync(mailer.send({ to, template: 'nope' as EmailTemplate, data: {} }), { message: /unknown template/ });
  t.deepEqual(await readMail(mailDir, to), []);
});

test('SMTP mode delivers to a real SMTP server', async (t) => {
  const received: { from: string | false; to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as net.AddressInfo;

  const mailDir = await tempDir(t);
  const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, mailDir });
  const message: MailMessage = { to: 'teacher@oakwood.test', template: 'new-sign-in', data: samples['new-sign-in'], school };
  const sent = await mailer.send(message);
  t.truthy(sent.messageId);
  t.is(received.length, 1);
  t.deepEqual(received[0]?.to, ['teacher@oakwood.test']);
  t.is(received[0]?.from, 'no-reply@edify.test');
  t.true(received[0]?.raw.includes(`Subject: ${sent.subject}`));
  t.regex(received[0]?.raw ?? '', /Content-Type: text\/plain/);
  t.regex(received[0]?.raw ?? '', /Content-Type: text\/html/);
  t.deepEqual(await readdir(mailDir), [], 'nothing is written to disk in SMTP mode');
});

test('an unreachable SMTP relay fails fast', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, mailDir: os.tmpdir() });
  const started = Date.now();
  const error = await t.throwsAsync(mailer.send({ to: 'a@example.test', template: 'two-factor-changed', data: { first_name: 'A', change: 'enabled' } }));
  t.truthy(error?.message);
  t.true(Date.now() - started < 5_000, 'refused quickly');
});

test('a relay that accepts the connection but never answers times out', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const { port } = silent.address() as net.AddressInfo;
  const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, mailDir: os.tmpdir(), timeoutMs: 300 });
  const started = Date.now();
  await t.throwsAsync(mailer.send({ to: 'a@example.test', template: 'two-factor-changed', data: { first_name: 'A', change: 'enabled' } }));
  t.true(Date.now() - started < 5_000);
});

test('non-essential mail carries a preferences link and List-Unsubscribe; user text is escaped; a logo appears', async (t) => {
  const mailDir = await tempDir(t);
  const mailer = createMailer({ from: FROM, mailDir });
  const to = 'parent@example.test';
  const sent = await mailer.send({
    to,
    template: 'notification',
    data: { ...samples.notification, title: '<script>alert(1)</script>', body: '<img src=x onerror=alert(2)>' },
    school: { ...school, logo_url: 'https://cdn.example.test/oakwood.png' },
    preferencesUrl: 'https://oakwood.edify.test/settings/notifications',
  });
  t.false(sent.html.includes('<script>'), 'a title cannot inject markup');
  t.true(sent.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.false(sent.html.includes('<img src=x'));
  t.true(sent.text.includes('<script>alert(1)</script>'), 'the text part is plain text');
  t.true(sent.html.includes('src="https://cdn.example.test/oakwood.png"'));
  t.true(sent.html.includes('href="https://oakwood.edify.test/settings/notifications"'));
  t.true(sent.text.includes('https://oakwood.edify.test/settings/notifications'));
  const eml = await readFile(path.join(mailDir, (await readdir(mailDir)).find((f) => f.endsWith('.eml')) ?? ''), 'utf8');
  t.regex(eml, /^List-Unsubscribe: <https:\/\/oakwood\.edify\.test\/settings\/notifications>/m);

  const essential = await mailer.send({ to, template: 'password-reset', data: samples['password-reset'], school });
  t.false(essential.text.includes('Choose which emails you get'), 'essential mail has no opt-out');
  await t.throwsAsync(mailer.send({ to, template: 'notification', data: samples.notification, preferencesUrl: 'javascript:alert(1)' }), {
    message: /preferencesUrl/,
  });
});

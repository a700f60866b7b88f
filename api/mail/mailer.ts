// The mailer seam. Every email has a subject, a plain-text part and an HTML part, rendered from
// templates/emails/<template>.{subject,text,html}.hbs; the HTML goes inside layout.html.hbs with
// the school's name and colour in the header. With an SMTP URL messages go to that relay; without
// one each message is written to a directory as a real .eml plus a .json sidecar that tests and
// developers can read. Bodies hold tokens (invite and reset links): nothing here logs them.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConsecutiveBreaker, circuitBreaker, ExponentialBackoff, handleAll, retry, TimeoutStrategy, timeout, wrap } from 'cockatiel';
import Handlebars from 'handlebars';
import type { Transporter } from 'nodemailer';
import { lazy } from '../lazy.ts';

const nodemailer = lazy(async () => (await import('nodemailer')).default);

export type EmailTemplate =
  | 'invite'
  | 'password-reset'
  | 'two-factor-changed'
  | 'new-sign-in'
  | 'verify-email'
  | 'billing-notice'
  | 'notification'
  | 'digest'
  | 'find-school';
export const EMAIL_TEMPLATES: readonly EmailTemplate[] = [
  'invite',
  'password-reset',
  'two-factor-changed',
  'new-sign-in',
  'verify-email',
  'billing-notice',
  'notification',
  'digest',
  'find-school',
];

export type MailMessage = {
  to: string;
  template: EmailTemplate;
  data: Record<string, unknown>;
  school?: { name: string; slug: string; color?: string; logo_url?: string };
  /** Non-essential mail (notifications, digests): where the reader changes what they get. Adds
   * a footer link and the List-Unsubscribe header. Essential mail (sign-in, resets) has none. */
  preferencesUrl?: string;
  /** The Message-ID (the job id when sent by the worker, so a retry is recognisable). */
  messageId?: string;
};

export type SentMail = { to: string; subject: string; text: string; html: string; messageId: string | undefined };

export type Mailer = { send(message: MailMessage): Promise<SentMail> };

export type MailerOptions = {
  /** e.g. smtp://user:pass@relay.example.com:587; without it, messages are written to mailDir. */
  smtpUrl?: string;
  /** The From header, e.g. `Edify <no-reply@edify.app>`. */
  from: string;
  /** Where messages go when there is no smtpUrl (created if missing). */
  mailDir: string;
  /** Connection, greeting and socket timeout for SMTP, in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** How long the circuit stays open after 5 consecutive SMTP failures (default 30 s). */
  breakerHalfOpenMs?: number;
};

export const TWO_FACTOR_CHANGES = ['enabled', 'disabled', 'reset by an admin', 'recovery codes regenerated'] as const;
export const DEFAULT_SCHOOL_COLOR = '#2457c5';

// What each template needs; rendering is strict, so a missing field fails loudly instead of
// sending an email with a blank where the link should be.
const FIELDS: Record<EmailTemplate, readonly string[]> = {
  invite: ['inviter_name', 'school_name', 'role', 'accept_url', 'expires_at'],
  'password-reset': ['first_name', 'reset_url', 'expires_in_minutes'],
  'two-factor-changed': ['first_name', 'change'],
  'new-sign-in': ['first_name', 'when', 'ip', 'user_agent'],
  'verify-email': ['first_name', 'school_name', 'verify_url'],
  'billing-notice': ['first_name', 'school_name', 'message', 'billing_url'],
  notification: ['first_name', 'school_name', 'title', 'body'],
  digest: ['first_name', 'school_name', 'items', 'count', 'inbox_url'],
  'find-school': ['schools'],
};
const URL_FIELDS = ['accept_url', 'reset_url', 'verify_url', 'billing_url', 'link_url', 'inbox_url'];

// The words. `{name}` is filled from the helper's hash (`{{t "key" name=value}}`); several
// positional arguments are joined with dots (`{{t "two-factor.change" change}}`). The result is
// escaped like any other value in HTML templates.
const WORDS: Record<string, string> = {
  'layout.platform': 'Edify',
  'layout.preferences': 'Choose which emails you get:',
  'layout.footer': 'You are receiving this email because you have an account with {school} on Edify.',
  'layout.footer.platform': 'You are receiving this email because of your account on Edify.',
  'layout.footer.invite': 'You are receiving this email because someone at {school} invited you to Edify.',
  'common.hello': 'Hello,',
  'common.greeting': 'Hello {name},',
  'common.thanks': 'Thank you,',
  'common.signature': 'The {school} team',
  'common.link_fallback': 'If the button does not work, copy this link into your browser:',
  'common.not_you': 'If this was not you, please change your password straight away and tell your school’s Edify administrator.',

  'invite.subject': '{inviter} invited you to join {school} on Edify',
  'invite.heading': 'You’re invited to {school}',
  'invite.body': '{inviter} has invited you to join {school} on Edify as {role}.',
  'invite.button': 'Accept the invitation',
  'invite.expires': 'This invitation expires on {when}.',
  'invite.ignore': 'If you were not expecting this invitation, you can ignore this email and no account will be created.',
  'role.admin': 'an administrator',
  'role.teacher': 'a teacher',
  'role.student': 'a student',
  'role.guardian': 'a parent or guardian',

  'notification.subject': '{school}: {title}',
  'notification.button': 'Open in Edify',
  'digest.subject': 'Your daily summary from {school}',
  'digest.heading': 'What happened at {school}',
  'digest.intro': 'Since your last summary ({count} in all):',
  'digest.button': 'Open your inbox',
  'find-school.subject': 'Your schools on Edify',
  'find-school.heading': 'Your schools on Edify',
  'find-school.body': 'Someone (we hope you) asked which schools this address signs in to. Here they are:',
  'find-school.ignore': 'If you did not ask, you can ignore this email: nothing has changed.',
  'billing-notice.subject': 'Billing update for {school}',
  'billing-notice.heading': 'Billing update',
  'billing-notice.button': 'Open billing',
  'billing-notice.why': 'You get this email because you are an admin of {school} on Edify.',
  'verify-email.subject': 'Confirm your email address for {school}',
  'verify-email.heading': 'Confirm your email address',
  'verify-email.body': 'Welcome to Edify! {school} is ready for you. Please confirm this is your email address so you can invite teachers and students.',
  'verify-email.button': 'Confirm my email address',
  'verify-email.ignore': 'If you did not create a school on Edify, you can ignore this email.',
  'password-reset.subject': 'Reset your Edify password',
  'password-reset.heading': 'Reset your password',
  'password-reset.body': 'Someone (hopefully you) asked to reset the password for your Edify account.',
  'password-reset.button': 'Choose a new password',
  'password-reset.expires': 'This link works once and expires in {minutes} minutes.',
  'password-reset.ignore': 'If you did not ask for this, you can ignore this email: your password will not change.',

  'two-factor-changed.subject': 'Your two-step sign-in settings changed',
  'two-factor-changed.heading': 'Your two-step sign-in settings changed',
  'two-factor-changed.change.enabled': 'Two-step sign-in was turned on for your Edify account. From now on you will need your authenticator app to sign in.',
  'two-factor-changed.change.disabled': 'Two-step sign-in was turned off for your Edify account. You now sign in with your password only.',
  'two-factor-changed.change.reset by an admin':
    'An administrator at your school reset two-step sign-in for your Edify account. You will be asked to set it up again the next time you sign in.',
  'two-factor-changed.change.recovery codes regenerated':
    'New recovery codes were created for your Edify account. Your old recovery codes no longer work, so keep the new ones somewhere safe.',

  'new-sign-in.subject': 'New sign-in to your Edify account',
  'new-sign-in.heading': 'New sign-in to your account',
  'new-sign-in.body': 'We noticed a new sign-in to your Edify account. Here are the details:',
  'new-sign-in.when': 'When',
  'new-sign-in.ip': 'IP address',
  'new-sign-in.device': 'Device',
  'new-sign-in.ok': 'If this was you, there is nothing to do.',
};

const ROOT = new URL('../../templates/emails/', import.meta.url);
const html = Handlebars.create();
// Text and subject lines are not HTML: no entity escaping there (`O'Brien` stays `O'Brien`).
const plain = Handlebars.create();

function phrase(key: string, vars: Record<string, unknown>): string {
  const found = WORDS[key];
  if (found === undefined) throw new Error(`mailer: no words for "${key}"`);
  return found.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`mailer: "${key}" needs ${name}=`);
    return String(vars[name]);
  });
}

function words(...args: unknown[]): string {
  const options = args.pop() as Handlebars.HelperOptions;
  return phrase(args.map(String).join('.'), options.hash);
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});
function formatDate(value: unknown): string {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? dateFormat.format(date) : String(value);
}

for (const hbs of [html, plain]) {
  hbs.registerHelper('t', words);
  hbs.registerHelper('date', formatDate);
}

let sequence = 0; // orders files written in the same millisecond
const cache = new Map<string, HandlebarsTemplateDelegate>();
async function template(file: string, kind: 'html' | 'plain'): Promise<HandlebarsTemplateDelegate> {
  let compiled = cache.get(file);
  if (!compiled) {
    const source = await readFile(new URL(file, ROOT), 'utf8');
    compiled = (kind === 'html' ? html : plain).compile(source, { strict: true, noEscape: kind === 'plain' });
    cache.set(file, compiled);
  }
  return compiled;
}

export type RenderedMail = { subject: string; text: string; html: string };

/** Renders one email without sending it (the mailer's first step; also handy for previews). */
export async function renderMail(message: Pick<MailMessage, 'template' | 'data' | 'school' | 'preferencesUrl'>): Promise<RenderedMail> {
  const { template: name, data, school } = message;
  if (message.preferencesUrl !== undefined && !isWebUrl(message.preferencesUrl)) throw new Error('mailer: preferencesUrl must be an http(s) URL');
  if (!EMAIL_TEMPLATES.includes(name)) throw new Error(`mailer: unknown template "${name}"`);
  const missing = FIELDS[name].filter((field) => data[field] === undefined || data[field] === null);
  if (missing.length > 0) throw new Error(`mailer: ${name} needs ${missing.join(', ')}`);
  for (const field of URL_FIELDS) {
    if (field in data && !isWebUrl(data[field])) throw new Error(`mailer: ${field} must be an http(s) URL`);
  }
  if (name === 'two-factor-changed' && !(TWO_FACTOR_CHANGES as readonly unknown[]).includes(data.change)) {
    throw new Error(`mailer: change must be one of ${TWO_FACTOR_CHANGES.join(', ')}`);
  }

  const context = { ...data, school_display_name: school?.name ?? WORDS['layout.platform'] };
  const subject = (await template(`${name}.subject.hbs`, 'plain'))(context).replace(/\s+/g, ' ').trim();
  const preferences = message.preferencesUrl ? `\n\n${phrase('layout.preferences', {})}\n${message.preferencesUrl}` : '';
  const text = `${(await template(`${name}.text.hbs`, 'plain'))(context).trim()}${preferences}\n`;
  const body = (await template(`${name}.html.hbs`, 'html'))(context);
  const page = (await template('layout.html.hbs', 'html'))({
    subject,
    body,
    school: school ? { name: school.name, logo_url: isWebUrl(school.logo_url) ? school.logo_url : null } : null,
    preferences_url: message.preferencesUrl ?? null,
    preferences_label: phrase('layout.preferences', {}),
    platform: WORDS['layout.platform'],
    footer:
      name === 'invite'
        ? phrase('layout.footer.invite', { school: data.school_name })
        : school
          ? phrase('layout.footer', { school: school.name })
          : phrase('layout.footer.platform', {}),
    color: safeColor(school?.color),
  });
  return { subject, text, html: page };
}

/** Only a `#rrggbb` colour reaches the stylesheet; anything else gets the default. */
export function safeColor(color: unknown): string {
  return typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color) ? color.toLowerCase() : DEFAULT_SCHOOL_COLOR;
}

function isWebUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** What nodemailer sends: the parts, and for non-essential mail the List-Unsubscribe headers. */
function envelope(from: string, message: MailMessage, rendered: RenderedMail) {
  return {
    from,
    to: message.to,
    ...rendered,
    ...(message.messageId ? { messageId: message.messageId } : {}),
    ...(message.preferencesUrl ? { list: { unsubscribe: { url: message.preferencesUrl, comment: 'Notification preferences' } } } : {}),
  };
}

export function createMailer(options: MailerOptions): Mailer {
  const limitMs = options.timeoutMs ?? 10_000;
  if (options.smtpUrl) {
    const smtpUrl = options.smtpUrl;
    // nodemailer loads with the first message (api/lazy.ts): an API process that sends none
    // does not carry it.
    const transport = lazy(async () =>
      (await nodemailer()).createTransport({
        url: smtpUrl,
        connectionTimeout: limitMs,
        greetingTimeout: limitMs,
        socketTimeout: limitMs,
        dnsTimeout: limitMs,
        logger: false,
        debug: false,
      }),
    );
    // One policy for every message: a hard timeout, a quick retry for a dropped connection, and a
    // breaker that stops knocking on a relay that is down (the job queue retries later, with backoff).
    const policy = wrap(
      retry(handleAll, { maxAttempts: 1, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 2_000 }) }),
      circuitBreaker(handleAll, { halfOpenAfter: options.breakerHalfOpenMs ?? 30_000, breaker: new ConsecutiveBreaker(5) }),
      timeout(limitMs + 5_000, TimeoutStrategy.Aggressive),
    );
    return {
      async send(message) {
        const rendered = await renderMail(message);
        const smtp = await transport();
        const info = await policy.execute(() => smtp.sendMail(envelope(options.from, message, rendered)));
        return { to: message.to, ...rendered, messageId: info.messageId };
      },
    };
  }

  const transport = lazy(async (): Promise<Transporter> => (await nodemailer()).createTransport({ streamTransport: true, buffer: true, newline: 'unix' }));
  return {
    async send(message) {
      const rendered = await renderMail(message);
      const info = await (await transport()).sendMail(envelope(options.from, message, rendered));
      await mkdir(options.mailDir, { recursive: true });
      const sentAt = new Date().toISOString();
      // <ISO time>-<sequence><random>-<template>: names sort in sending order (colons become
      // dashes so the names work on every file system).
      const base = `${sentAt.replace(/[:.]/g, '-')}-${(++sequence).toString(36).padStart(6, '0')}${randomBytes(4).toString('hex')}-${message.template}`;
      const file = path.join(options.mailDir, base);
      await writeFile(`${file}.eml`, info.message as Buffer);
      const sidecar = { to: message.to, ...rendered, template: message.template, sent_at: sentAt };
      // Written last and renamed into place, so a reader never sees half a .json.
      await writeFile(`${file}.json.tmp`, `${JSON.stringify(sidecar, null, 2)}\n`);
      await rename(`${file}.json.tmp`, `${file}.json`);
      return { to: message.to, ...rendered, messageId: info.messageId };
    },
  };
}

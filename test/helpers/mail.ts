// Reads what the file-mode mailer (api/mail/mailer.ts, no SMTP URL) wrote: the .json sidecars.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmailTemplate } from '../../api/mail/mailer.ts';

export type StoredMail = { to: string; subject: string; text: string; html: string; template: EmailTemplate; sent_at: string };

/** Every message sent to `to` (case-insensitive), oldest first, newest last. */
export async function readMail(mailDir: string, to: string): Promise<StoredMail[]> {
  let files: string[];
  try {
    files = await readdir(mailDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // File names start with the send time and a per-process sequence, so they sort in sending order.
  const names = files.filter((f) => f.endsWith('.json')).sort();
  const mails = await Promise.all(names.map(async (f) => JSON.parse(await readFile(path.join(mailDir, f), 'utf8')) as StoredMail));
  const wanted = to.toLowerCase();
  return mails.filter((m) => m.to.toLowerCase() === wanted);
}

/** The newest message sent to `to`, or undefined. */
export async function lastMail(mailDir: string, to: string): Promise<StoredMail | undefined> {
  return (await readMail(mailDir, to)).at(-1);
}

/** Waits (up to timeoutMs) until `count` messages to `to` exist: mail is sent by the worker after
 * the request's transaction commits (test/helpers/jobs.ts). */
export async function waitForMail(mailDir: string, to: string, options: { count?: number; timeoutMs?: number } = {}): Promise<StoredMail[]> {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const mails = await readMail(mailDir, to);
    if (mails.length >= count || Date.now() > deadline) return mails;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The token in a link of the form ...?token=XYZ inside the mail's text part. */
export function tokenFromMail(mail: StoredMail | undefined): string {
  const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
  if (!match?.[1]) throw new Error(`No token link in mail: ${mail?.text}`);
  return match[1];
}

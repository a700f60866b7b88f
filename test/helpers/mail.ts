// Reads what the file-mode mailer (api/mail/mailer.ts, no SMTP URL) wrote: the .json sidecars.
import { mkdir, readdir, readFile, watch } from 'node:fs/promises';
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
 * the request's transaction commits (test/helpers/jobs.ts). Woken by the directory changing (the
 * mailer renames each .json into place), never by a timer. */
export async function waitForMail(mailDir: string, to: string, options: { count?: number; timeoutMs?: number } = {}): Promise<StoredMail[]> {
  const count = options.count ?? 1;
  await mkdir(mailDir, { recursive: true });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), options.timeoutMs ?? 20_000);
  // Watching starts before the first read, so a message written in between still wakes us.
  const changes = watch(mailDir, { signal: stop.signal });
  try {
    let mails = await readMail(mailDir, to);
    if (mails.length >= count) return mails;
    for await (const _change of changes) {
      mails = await readMail(mailDir, to);
      if (mails.length >= count) return mails;
    }
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  return readMail(mailDir, to);
}

/** The token in a link of the form ...?token=XYZ inside the mail's text part. */
export function tokenFromMail(mail: StoredMail | undefined): string {
  const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
  if (!match?.[1]) throw new Error(`No token link in mail: ${mail?.text}`);
  return match[1];
}

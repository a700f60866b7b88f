// What may be uploaded, decided from the bytes. file-type reads the magic numbers of the first
// bytes; the name's extension must then be one this type is known by, so a PDF renamed .exe and
// an HTML page renamed .pdf are both refused. Plain text (.txt, .csv, .md) has no magic number:
// it is accepted only for documents, only with one of those extensions, only when the whole file
// is valid UTF-8 without NUL characters (checked as it streams, TextChecker), and it is never
// served inline (api/files/download.ts). Nothing else without a magic number is accepted, so
// HTML, SVG, XML and scripts never get in under any name.
import { lazy } from '../lazy.ts';
import type { FilePurpose } from './model.ts';

export const PURPOSES: readonly FilePurpose[] = ['documents', 'images', 'media'];

type Kind = { mime: string; extensions: string[]; purposes: FilePurpose[]; inline: boolean };

/** Keyed by the MIME type file-type reports. `inline`: safe for a browser to show in place. */
const KINDS: Record<string, Kind> = {
  'application/pdf': { mime: 'application/pdf', extensions: ['pdf'], purposes: ['documents'], inline: true },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    extensions: ['docx'],
    purposes: ['documents'],
    inline: false,
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extensions: ['xlsx'],
    purposes: ['documents'],
    inline: false,
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    extensions: ['pptx'],
    purposes: ['documents'],
    inline: false,
  },
  'application/vnd.oasis.opendocument.text': { mime: 'application/vnd.oasis.opendocument.text', extensions: ['odt'], purposes: ['documents'], inline: false },
  'application/vnd.oasis.opendocument.spreadsheet': {
    mime: 'application/vnd.oasis.opendocument.spreadsheet',
    extensions: ['ods'],
    purposes: ['documents'],
    inline: false,
  },
  'application/vnd.oasis.opendocument.presentation': {
    mime: 'application/vnd.oasis.opendocument.presentation',
    extensions: ['odp'],
    purposes: ['documents'],
    inline: false,
  },
  'image/png': { mime: 'image/png', extensions: ['png'], purposes: ['images', 'documents'], inline: true },
  'image/jpeg': { mime: 'image/jpeg', extensions: ['jpg', 'jpeg'], purposes: ['images', 'documents'], inline: true },
  'image/gif': { mime: 'image/gif', extensions: ['gif'], purposes: ['images'], inline: true },
  'image/webp': { mime: 'image/webp', extensions: ['webp'], purposes: ['images'], inline: true },
  'audio/mpeg': { mime: 'audio/mpeg', extensions: ['mp3'], purposes: ['media'], inline: true },
  'audio/x-m4a': { mime: 'audio/mp4', extensions: ['m4a'], purposes: ['media'], inline: true },
  'audio/wav': { mime: 'audio/wav', extensions: ['wav'], purposes: ['media'], inline: true },
  'audio/ogg': { mime: 'audio/ogg', extensions: ['ogg', 'oga'], purposes: ['media'], inline: true },
  'video/mp4': { mime: 'video/mp4', extensions: ['mp4', 'm4v'], purposes: ['media'], inline: true },
  'video/webm': { mime: 'video/webm', extensions: ['webm'], purposes: ['media'], inline: true },
  'video/quicktime': { mime: 'video/quicktime', extensions: ['mov'], purposes: ['media'], inline: true },
};

const TEXT: Record<string, string> = { txt: 'text/plain', csv: 'text/csv', md: 'text/markdown' };

/** How many bytes of the head are read before deciding (file-type needs at most this much for
 * the types above; Office files name their parts near the start of the zip). */
export const HEAD_BYTES = 64 * 1024;

export type Decision = { ok: true; mime: string; text: boolean } | { ok: false; reason: string };

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** The type of an upload from its first bytes and its (sanitised) name, for this purpose. */
const fileType = lazy(() => import('file-type'));

export async function decideType(head: Uint8Array, name: string, purpose: FilePurpose): Promise<Decision> {
  const ext = extensionOf(name);
  const detected = head.length > 0 ? await (await fileType()).fileTypeFromBuffer(head) : undefined;
  if (!detected) {
    const mime = TEXT[ext];
    if (mime && purpose === 'documents' && looksLikeText(head)) return { ok: true, mime, text: true };
    return { ok: false, reason: 'This kind of file is not accepted.' };
  }
  const kind = KINDS[detected.mime];
  if (!kind?.purposes.includes(purpose)) return { ok: false, reason: `A ${detected.ext.toUpperCase()} file is not accepted as ${purpose}.` };
  if (!kind.extensions.includes(ext)) {
    return { ok: false, reason: `The file is a ${detected.ext.toUpperCase()} but its name ends in ".${ext}": rename it to .${kind.extensions[0]}.` };
  }
  return { ok: true, mime: kind.mime, text: false };
}

function looksLikeText(head: Uint8Array): boolean {
  return !head.includes(0);
}

/** Text files are checked as a whole: valid UTF-8 (a multi-byte character may span chunks) and
 * no NUL anywhere. */
export class TextChecker {
  #decoder = new TextDecoder('utf-8', { fatal: true });
  valid = true;
  push(chunk: Uint8Array): void {
    if (!this.valid) return;
    if (chunk.includes(0)) this.valid = false;
    else {
      try {
        this.#decoder.decode(chunk, { stream: true });
      } catch {
        this.valid = false;
      }
    }
  }
  end(): boolean {
    if (!this.valid) return false;
    try {
      this.#decoder.decode();
      return true;
    } catch {
      return false;
    }
  }
}

/** Whether a browser may show this type in place; everything else is a download. */
export function inlineSafe(mime: string): boolean {
  return Object.values(KINDS).some((k) => k.mime === mime && k.inline);
}

export function rangeable(mime: string): boolean {
  return mime.startsWith('audio/') || mime.startsWith('video/');
}

// C0/C1 controls and the Unicode bidirectional and invisible formatting characters (a name like
// "cod\u202Efdp.exe" displays as "codexe.pdf").
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A display name without path parts, control or bidi characters; at most 200 characters, the
 * extension kept. Falls back to "file". */
export function sanitiseName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  let name = base.normalize('NFC').replace(UNSAFE, '').replace(/\s+/g, ' ').trim();
  name = name.replace(/^\.+/, '');
  if (name.length > 200) {
    const ext = extensionOf(name);
    name = ext && ext.length < 16 ? `${name.slice(0, 199 - ext.length)}.${ext}` : name.slice(0, 200);
  }
  return name || 'file';
}

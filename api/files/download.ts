// Answering with a file's bytes: the right type, never rendered in place unless it is an image,
// PDF, audio or video (text and office files are downloads; HTML, SVG and XML are never accepted
// at all), nosniff and a sandboxing CSP, an ETag from the content hash, and byte ranges for audio
// and video (seeking). Runs after the tenant session has closed: no connection waits on storage.

import { notFound } from '../errors.ts';
import type { Reply } from '../http/route.ts';
import type { StoredFile } from './model.ts';
import type { ByteRange, Storage } from './storage.ts';
import { inlineSafe, rangeable } from './types.ts';

export type Conditional = { ifNoneMatch?: string | undefined; range?: string | undefined };

export function dispositionOf(file: Pick<StoredFile, 'name' | 'content_type'>): string {
  const fallback = file.name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(file.name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${inlineSafe(file.content_type) ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function contentTypeOf(file: Pick<StoredFile, 'content_type'>): string {
  return file.content_type.startsWith('text/') ? `${file.content_type}; charset=utf-8` : file.content_type;
}

/** The reply for a download (to be sent after commit). */
export async function fileReply(storage: Storage, file: StoredFile, conditional: Conditional, cache: string): Promise<Reply> {
  const size = Number(file.size_bytes);
  const etag = `"${file.sha256}"`;
  const common: Record<string, string> = {
    ETag: etag,
    'Cache-Control': cache,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-site',
  };
  if (rangeable(file.content_type)) common['Accept-Ranges'] = 'bytes';
  if (conditional.ifNoneMatch?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    return { status: 304, headers: common };
  }
  let range: ByteRange | undefined;
  if (conditional.range && rangeable(file.content_type)) {
    const parsed = parseRange(conditional.range, size);
    if (parsed === 'unsatisfiable') return { status: 416, headers: { ...common, 'Content-Range': `bytes */${size}` } };
    range = parsed;
  }
  let body: NodeJS.ReadableStream;
  try {
    body = await storage.get(file.storage_key, range);
  } catch {
    throw notFound('The file’s content');
  }
  const headers = { ...common, 'Content-Type': contentTypeOf(file), 'Content-Disposition': dispositionOf(file) };
  if (range) {
    return {
      status: 206,
      headers: { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': String(range.end - range.start + 1) },
      body,
    };
  }
  return { status: 200, headers: { ...headers, 'Content-Length': String(size) }, body };
}

/** One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; several ranges, or garbage, are ignored
 * (the whole file is sent), as RFC 9110 allows. */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

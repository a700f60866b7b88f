// Receiving one upload: multipart (busboy) → the first bytes decide the type → the bytes stream
// to storage and to the scanner at once, counted and hashed on the way. Nothing here touches the
// database: the route opens a tenant session before (who, limits) and after (the row), never
// while bytes arrive. Over the size limit, busboy cuts the file off; the pipeline then fails,
// storage removes what it had, and the route closes the connection rather than read the rest.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { AppError, invalid } from '../errors.ts';
import type { FilePurpose } from './model.ts';
import { type Scanner, ScannerDown, type ScanResult } from './scanner.ts';
import type { Storage } from './storage.ts';
import { decideType, HEAD_BYTES, PURPOSES, sanitiseName, TextChecker } from './types.ts';

export type Received = {
  key: string;
  name: string;
  purpose: FilePurpose;
  contentType: string;
  size: number;
  sha256: string;
  /** clean / rejected (infected: nothing kept) / pending (scanner down) / unscanned (no scanner). */
  status: 'clean' | 'rejected' | 'pending' | 'unscanned';
  scanResult: string | null;
};

export type UploadOptions = {
  tenantId: string;
  maxBytes: number;
  purpose: string | undefined;
  storage: Storage;
  scanner: Scanner | undefined;
  /** Without a scanner: 'unscanned' (attachable) when allowed, else 'pending' (waits for one). */
  allowUnscanned: boolean;
};

/** Multipart overhead allowed above the file limit when a Content-Length is announced. */
const ENVELOPE = 64 * 1024;

export function tooLarge(maxBytes: number): AppError {
  return new AppError('payload-too-large', `Files can be at most ${formatBytes(maxBytes)} at this school.`, { extra: { max_bytes: maxBytes } });
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 ** 3).toFixed(1).replace(/\.0$/, '')} GB`;
  if (n >= 1024 * 1024) return `${(n / 1024 ** 2).toFixed(1).replace(/\.0$/, '')} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}

export function receiveUpload(req: IncomingMessage, options: UploadOptions): Promise<Received> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.reject(new AppError('unsupported-media-type', 'Send the file as multipart/form-data with a part named "file".'));
  }
  const announced = Number(req.headers['content-length']);
  if (Number.isFinite(announced) && announced > options.maxBytes + ENVELOPE) return Promise.reject(tooLarge(options.maxBytes));
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: options.maxBytes, fields: 4, fieldSize: 256, parts: 6 } });
  } catch {
    return Promise.reject(new AppError('bad-request', 'The multipart body is malformed (boundary missing).'));
  }
  return new Promise<Received>((resolve, reject) => {
    let purpose = options.purpose;
    let started = false;
    const stop = (error: unknown) => {
      // Stop reading the request: the route answers at once, then drops a little more and closes
      // (drainThenClose in route.ts).
      req.unpipe(parser);
      req.pause();
      reject(error);
    };
    parser.on('field', (name, value) => {
      if (name === 'purpose' && purpose === undefined) purpose = value;
    });
    parser.on('file', (field, file, info) => {
      if (started || field !== 'file') {
        file.resume();
        return;
      }
      started = true;
      if (!PURPOSES.includes(purpose as FilePurpose)) {
        file.resume();
        stop(invalid([{ in: 'query', field: 'purpose', message: `must be one of ${PURPOSES.join(', ')} (a query parameter, or a field before the file)` }]));
        return;
      }
      receiveFile(file, info.filename, purpose as FilePurpose, options).then(resolve, stop);
    });
    parser.on('error', () => stop(new AppError('bad-request', 'The multipart body is malformed.')));
    parser.on('close', () => {
      if (!started) reject(invalid([{ in: 'body', field: 'file', message: 'send one file in a part named "file"' }]));
    });
    req.on('error', stop);
    req.pipe(parser);
  });
}

type FileStream = Readable & { truncated?: boolean };

async function receiveFile(file: FileStream, rawName: string | undefined, purpose: FilePurpose, options: UploadOptions): Promise<Received> {
  const name = sanitiseName(rawName ?? '');
  // Over the limit busboy would skip (read and discard) the rest of the part before ending the
  // file: fail at once instead, whichever phase we are in.
  let tooBig = false;
  let abort = (_error: Error) => {};
  file.once('limit', () => {
    tooBig = true;
    abort(tooLarge(options.maxBytes));
  });
  const { chunks, ended } = await readHead(file, (fail) => {
    abort = fail;
  });
  if (tooBig) throw tooLarge(options.maxBytes);
  const head = Buffer.concat(chunks);
  const decision = await decideType(head.subarray(0, HEAD_BYTES), name, purpose);
  if (!decision.ok) {
    file.resume();
    throw new AppError('unsupported-media-type', decision.reason);
  }
  const { scanner, storage } = options;
  if (scanner?.whenDown === 'refuse' && scanner.isDown()) {
    file.resume();
    throw new AppError('unavailable', 'The virus scanner is unavailable; try the upload again in a minute.');
  }

  const hash = createHash('sha256');
  const text = decision.text ? new TextChecker() : undefined;
  let size = 0;
  async function* bytes() {
    yield* chunks;
    if (ended) return;
    for await (const chunk of file) {
      yield chunk as Buffer;
      if (tooBig || file.truncated) throw tooLarge(options.maxBytes);
    }
    if (tooBig || file.truncated) throw tooLarge(options.maxBytes);
  }
  const source = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      hash.update(chunk);
      text?.push(chunk);
      done(null, chunk);
    },
  });
  // pipeline() carries a failure (too large, client gone) into `source`; pipe() below does not
  // carry it further, so a failed source fails both readers itself.
  pipeline(Readable.from(bytes(), { objectMode: false }), source).catch(() => undefined);
  abort = (error) => source.destroy(error);
  const toStorage = new PassThrough();
  const toScanner = scanner ? new PassThrough() : undefined;
  source.on('error', (error: Error) => {
    toStorage.destroy(error);
    toScanner?.destroy(error);
  });
  source.pipe(toStorage);
  if (toScanner) source.pipe(toScanner);

  const key = `${options.tenantId}/${randomBytes(18).toString('base64url')}`;
  const stored = storage.put(key, toStorage, decision.mime);
  const scanned: Promise<ScanResult | 'down' | undefined> =
    toScanner && scanner
      ? scanner.scan(toScanner).catch((error) => {
          if (error instanceof ScannerDown) return 'down' as const;
          throw error;
        })
      : Promise.resolve(undefined);
  const [storeOutcome, scanOutcome] = await Promise.allSettled([stored, scanned]);
  if (storeOutcome.status === 'rejected') {
    await storage.remove(key).catch(() => undefined);
    throw storeOutcome.reason;
  }
  const removeAnd = async (error: AppError) => {
    await storage.remove(key);
    return error;
  };
  if (text && !text.end()) throw await removeAnd(new AppError('unsupported-media-type', 'A text file must be UTF-8 text without NUL characters.'));
  if (scanOutcome.status === 'rejected') {
    await storage.remove(key);
    throw scanOutcome.reason;
  }
  const scan = scanOutcome.value;
  const base = { key, name, purpose, contentType: decision.mime, size, sha256: hash.digest('hex') };
  if (scan === undefined) return { ...base, status: options.allowUnscanned ? 'unscanned' : 'pending', scanResult: null };
  if (scan === 'down') {
    if (scanner?.whenDown === 'refuse')
      throw await removeAnd(new AppError('unavailable', 'The virus scanner is unavailable; try the upload again in a minute.'));
    return { ...base, status: 'pending', scanResult: null };
  }
  if (scan.verdict === 'infected') {
    await storage.remove(key);
    return { ...base, status: 'rejected', scanResult: scan.signature };
  }
  return { ...base, status: 'clean', scanResult: null };
}

/** The first HEAD_BYTES (or the whole file, if smaller), leaving the rest unread. */
function readHead(file: FileStream, onAbort: (fail: (error: Error) => void) => void): Promise<{ chunks: Buffer[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    onAbort(reject);
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (ended: boolean) => {
      file.removeListener('data', onData);
      file.removeListener('end', onEnd);
      file.removeListener('error', onError);
      file.pause();
      resolve({ chunks, ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= HEAD_BYTES) done(false);
    };
    const onEnd = () => done(true);
    const onError = (e: Error) => reject(e);
    file.on('data', onData);
    file.once('end', onEnd);
    file.once('error', onError);
  });
}

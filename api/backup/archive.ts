// The backup archive format (docs/operations.md, "Backups"). Written and read as streams, so
// memory stays flat however large the school:
//
//   "EDIFYBK\n"  u32be header length  header JSON (in clear: what `backup:list` shows)
//   body: gzip( frames ), AES-256-GCM encrypted when header.encryption is set (the header is the
//         cipher's additional authenticated data; the 16-byte tag ends the file)
//   frame: u8 type, u32be payload length, payload
//     B  part begins   JSON { name, kind, table, columns }
//     D  part data     COPY text bytes (at most CHUNK per frame)
//     E  part ends     JSON { rows, bytes, sha256 }
//     M  manifest      JSON (last frame: row counts and SHA-256 of every part)
//
// The key is either EDIFY_BACKUP_KEY (32 bytes, base64 or hex) or a passphrase stretched with
// scrypt (salt and cost in the header). A short key check (HMAC of a constant) in the header tells
// a wrong key apart from a damaged file before anything is decrypted.
import { type CipherGCM, createCipheriv, createDecipheriv, createHmac, type DecipherGCM, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { pipeline, type Readable, type Transform, type Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { AppError } from '../errors.ts';

export const FORMAT_VERSION = 1;
const MAGIC = Buffer.from('EDIFYBK\n');
export const CHUNK = 256 * 1024;
const TAG_BYTES = 16;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };

export type SchoolInfo = { id: string; slug: string; name: string };

export type Header = {
  format: number;
  school: SchoolInfo;
  schema_version: string;
  created_at: string;
  encryption?: {
    cipher: 'aes-256-gcm';
    iv: string;
    key_check: string;
    kdf: { name: 'none' } | { name: 'scrypt'; salt: string; N: number; r: number; p: number };
  };
};

export type PartStart = { name: string; kind: 'table'; table: string; columns: string[] };
export type PartEnd = { rows: number; bytes: number; sha256: string };
export type Manifest = {
  format: number;
  schema_version: string;
  school: SchoolInfo;
  tenant: Record<string, unknown>;
  created_at: string;
  tool_version: string;
  files: 'referenced';
  parts: (PartStart & PartEnd)[];
};

export type Frame = { type: 'B'; part: PartStart } | { type: 'D'; data: Buffer } | { type: 'E'; end: PartEnd } | { type: 'M'; manifest: Manifest };

/** Where the key comes from: raw 32 bytes (EDIFY_BACKUP_KEY) or a passphrase (scrypt). */
export type KeySource = { key: Buffer } | { passphrase: string };

export function backupError(message: string): AppError {
  return new AppError('validation-failed', message);
}

export function parseBackupKey(value: string): Buffer {
  const text = value.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw backupError('EDIFY_BACKUP_KEY must be 32 bytes, as 64 hex digits or base64 (`openssl rand -base64 32`).');
  return key;
}

function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('edify-backup-key-check').digest('base64url').slice(0, 16);
}

function deriveKey(source: KeySource, kdf: NonNullable<Header['encryption']>['kdf']): Buffer {
  if (kdf.name === 'none') {
    if (!('key' in source)) throw backupError('This backup was encrypted with a key (EDIFY_BACKUP_KEY), not a passphrase.');
    return source.key;
  }
  if (!('passphrase' in source)) throw backupError('This backup was encrypted with a passphrase: pass --passphrase-file.');
  return scryptSync(source.passphrase, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
}

function frame(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Writes one archive to `<file>.partial` and renames it into place when complete. */
export class ArchiveWriter {
  private readonly gzip = createGzip();
  private readonly done: Promise<void>;
  private readonly cipher: CipherGCM | undefined;
  private readonly file: string;
  private readonly partial: string;

  constructor(file: string, header: Omit<Header, 'format' | 'encryption'>, key: KeySource | undefined) {
    this.file = file;
    this.partial = `${file}.partial`;
    let encryption: Header['encryption'];
    if (key) {
      const kdf: NonNullable<Header['encryption']>['kdf'] =
        'key' in key ? { name: 'none' } : { name: 'scrypt', salt: randomBytes(16).toString('base64'), ...SCRYPT };
      const derived = deriveKey(key, kdf);
      const iv = randomBytes(12);
      encryption = { cipher: 'aes-256-gcm', iv: iv.toString('base64'), key_check: keyCheck(derived), kdf };
      this.cipher = createCipheriv('aes-256-gcm', derived, iv);
    } else {
      this.cipher = undefined;
    }
    const headerBytes = json({ format: FORMAT_VERSION, ...header, ...(encryption ? { encryption } : {}) } satisfies Header);
    const out = createWriteStream(this.partial, { flags: 'wx', mode: 0o600 });
    const length = Buffer.alloc(4);
    length.writeUInt32BE(headerBytes.length);
    out.write(Buffer.concat([MAGIC, length, headerBytes]));
    this.cipher?.setAAD(headerBytes);
    const streams: (Transform | Writable)[] = this.cipher ? [this.gzip, this.cipher, out] : [this.gzip, out];
    this.done = new Promise((resolve, reject) => pipeline(streams as [Transform, ...Writable[]], (error) => (error ? reject(error) : resolve())));
    this.done.catch(() => undefined);
  }

  private async write(buffer: Buffer): Promise<void> {
    if (!this.gzip.write(buffer)) await Promise.race([once(this.gzip, 'drain'), this.done]);
  }

  begin(part: PartStart) {
    return this.write(frame('B', json(part)));
  }

  async data(chunk: Buffer) {
    for (let at = 0; at < chunk.length; at += CHUNK) await this.write(frame('D', chunk.subarray(at, at + CHUNK)));
  }

  end(end: PartEnd) {
    return this.write(frame('E', json(end)));
  }

  async finish(manifest: Manifest): Promise<void> {
    await this.write(frame('M', json(manifest)));
    this.gzip.end();
    await this.done;
    if (this.cipher) {
      const handle = await open(this.partial, 'a');
      await handle.write(this.cipher.getAuthTag());
      await handle.close();
    }
    await rename(this.partial, this.file);
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    await this.done.catch(() => undefined);
    await rm(this.partial, { force: true });
  }
}

/** Reads the clear header only (what `backup:list` shows); never decrypts. */
export async function readHeader(file: string): Promise<{ header: Header; headerBytes: Buffer; bodyStart: number; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Buffer.alloc(12);
    await handle.read(start, 0, 12, 0);
    if (size < 12 || !start.subarray(0, 8).equals(MAGIC)) throw backupError(`${file} is not an Edify backup.`);
    const length = start.readUInt32BE(8);
    if (length > 1_000_000 || 12 + length > size) throw backupError(`${file}: the backup header is damaged.`);
    const headerBytes = Buffer.alloc(length);
    await handle.read(headerBytes, 0, length, 12);
    let header: Header;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch {
      throw backupError(`${file}: the backup header is damaged.`);
    }
    if (header.format !== FORMAT_VERSION) throw backupError(`${file} is backup format ${header.format}; this version of Edify reads format ${FORMAT_VERSION}.`);
    return { header, headerBytes, bodyStart: 12 + length, size };
  } finally {
    await handle.close();
  }
}

/** The archive's frames, in order, decrypted and decompressed as they are read. Throws on a wrong
 * key, a damaged file (gzip, GCM tag) or a malformed frame; checksums are the caller's (readParts). */
export async function* readFrames(file: string, key: KeySource | undefined): AsyncGenerator<Frame> {
  const { header, headerBytes, bodyStart, size } = await readHeader(file);
  let source: Readable;
  let decipher: DecipherGCM | undefined;
  if (header.encryption) {
    if (!key) throw backupError('This backup is encrypted: set EDIFY_BACKUP_KEY or pass --passphrase-file.');
    const derived = deriveKey(key, header.encryption.kdf);
    const check = Buffer.from(keyCheck(derived));
    if (!timingSafeEqual(check, Buffer.alloc(check.length, header.encryption.key_check))) {
      throw backupError('Wrong key: this backup cannot be decrypted with the key or passphrase given.');
    }
    if (size - bodyStart < TAG_BYTES) throw backupError('The backup is damaged (truncated).');
    const tag = Buffer.alloc(TAG_BYTES);
    const handle = await open(file, 'r');
    await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
    await handle.close();
    decipher = createDecipheriv('aes-256-gcm', derived, Buffer.from(header.encryption.iv, 'base64'));
    decipher.setAAD(headerBytes);
    decipher.setAuthTag(tag);
    source = createReadStream(file, { start: bodyStart, end: size - TAG_BYTES - 1 });
  } else {
    source = createReadStream(file, { start: bodyStart });
  }
  const gunzip = createGunzip();
  const streams = decipher ? [source, decipher, gunzip] : [source, gunzip];
  const body = pipeline(streams as [Readable, ...Transform[]], () => undefined) as unknown as Readable;
  const reader = new ByteReader(body[Symbol.asyncIterator]());
  try {
    for (;;) {
      const head = await reader.read(5);
      if (!head) throw backupError('The backup is damaged: it ends before its manifest.');
      const type = head.toString('latin1', 0, 1);
      const length = head.readUInt32BE(1);
      if (length > CHUNK + 16 * 1024 * 1024) throw backupError('The backup is damaged (frame too large).');
      const payload = (await reader.read(length)) ?? Buffer.alloc(0);
      if (payload.length !== length) throw backupError('The backup is damaged (truncated).');
      if (type === 'D') yield { type, data: payload };
      else if (type === 'B') yield { type, part: parseJson<PartStart>(payload) };
      else if (type === 'E') yield { type, end: parseJson<PartEnd>(payload) };
      else if (type === 'M') {
        const manifest = parseJson<Manifest>(payload);
        // Read to the end: the GCM tag and gzip trailer are checked only there.
        if (await reader.read(1)) throw backupError('The backup is damaged (data after the manifest).');
        const same = (a: SchoolInfo | undefined, b: SchoolInfo) => a?.id === b.id && a.slug === b.slug && a.name === b.name;
        if (!same(manifest.school, header.school) || manifest.created_at !== header.created_at || manifest.schema_version !== header.schema_version) {
          throw backupError('The backup is damaged: its header does not match its manifest.');
        }
        yield { type, manifest };
        return;
      } else throw backupError('The backup is damaged (unknown frame).');
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const text = String((error as Error).message ?? error);
    if (/authenticate/i.test(text)) throw backupError('The backup is damaged or was altered: decryption failed its integrity check.');
    throw backupError(`The backup is damaged: ${text}.`);
  } finally {
    body.destroy();
  }
}

function parseJson<T>(payload: Buffer): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    throw backupError('The backup is damaged (unreadable frame).');
  }
}

/** Exact-length reads over an async iterator of chunks; at most one chunk is buffered. */
class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Buffer>;
  constructor(chunks: AsyncIterator<Buffer>) {
    this.chunks = chunks;
  }

  async read(n: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (this.pending.length === 0) {
        const next = await this.chunks.next();
        if (next.done) break;
        this.pending = next.value;
        continue;
      }
      const take = this.pending.subarray(0, n - have);
      this.pending = this.pending.subarray(take.length);
      parts.push(take);
      have += take.length;
    }
    if (have === 0 && n > 0) return null;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}

export async function archiveSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** The key for writing or reading: a passphrase file wins over EDIFY_BACKUP_KEY. */
export async function keyFrom(options: { envKey?: string | undefined; passphraseFile?: string | undefined }): Promise<KeySource | undefined> {
  if (options.passphraseFile) {
    const { readFile } = await import('node:fs/promises');
    const passphrase = (await readFile(options.passphraseFile, 'utf8')).replace(/\r?\n$/, '');
    if (passphrase.length < 12) throw backupError('The passphrase file must hold at least 12 characters.');
    return { passphrase };
  }
  if (options.envKey) return { key: parseBackupKey(options.envKey) };
  return undefined;
}

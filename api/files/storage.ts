// Where file bytes live, behind one interface: local disk (default, <EDIFY_DATA_DIR>/files) or an
// S3-compatible bucket. Keys are chosen by api/files/upload.ts (random, prefixed with the school's
// id); drivers never interpret them. Every write streams; nothing holds a whole file in memory.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FilesConfig } from '../config.ts';
import { lazy } from '../lazy.ts';

export type ByteRange = { start: number; end: number };

export type Storage = {
  readonly kind: 'local' | 's3';
  /** Streams body to key; rejects (and leaves nothing behind) if body errors. */
  put(key: string, body: Readable, contentType: string): Promise<void>;
  /** The object's bytes, or a range of them (inclusive). */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Idempotent: removing a missing object succeeds. */
  remove(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Objects whose keys start with prefix (S3; backup targets list their archives with it). */
  list?(prefix: string): Promise<{ key: string; size: number }[]>;
  /** A direct, expiring download address from the storage itself, when it has one (S3). */
  presign?(key: string, options: { expiresInSeconds: number; contentType: string; disposition: string }): Promise<string>;
};

export function createStorage(config: FilesConfig): Storage {
  if (config.storage === 's3') {
    if (!config.s3) throw new Error('FILES_STORAGE=s3 needs S3_BUCKET');
    return s3Storage(config.s3);
  }
  return localStorage(config.dir);
}

// ── Local disk ───────────────────────────────────────────────────────────────────────────────

const SAFE_KEY = /^[A-Za-z0-9-]+(\/[A-Za-z0-9_-]+)+$/;

export function localStorage(root: string): Storage {
  const fileOf = (key: string) => {
    // Keys come from our own code, but a path outside the root must be impossible regardless.
    if (!SAFE_KEY.test(key)) throw new Error('invalid storage key');
    return path.join(root, ...key.split('/'));
  };
  return {
    kind: 'local',
    async put(key, body) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.partial`;
      try {
        await pipeline(body, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
        await rename(partial, file);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async get(key, range) {
      const file = fileOf(key);
      await stat(file);
      return createReadStream(file, range ? { start: range.start, end: range.end } : {});
    },
    async remove(key) {
      await rm(fileOf(key), { force: true });
    },
    async exists(key) {
      try {
        await stat(fileOf(key));
        return true;
      } catch {
        return false;
      }
    },
  };
}

// ── S3-compatible ────────────────────────────────────────────────────────────────────────────

type S3Settings = NonNullable<FilesConfig['s3']>;

/** 8 MiB parts: large uploads go up as a multipart upload with at most a few parts in memory. */
const PART_SIZE = 8 * 1024 * 1024;

/** The AWS SDK (three packages, ~40 MB of heap and code) loads with the first S3 call (api/lazy.ts). */
const sdk = lazy(async () => {
  const [s3, storage, presigner] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage'), import('@aws-sdk/s3-request-presigner')]);
  return { ...s3, Upload: storage.Upload, getSignedUrl: presigner.getSignedUrl };
});

export function s3Storage(settings: S3Settings): Storage {
  const connect = lazy(async () => {
    const aws = await sdk();
    const client = new aws.S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId && settings.secretAccessKey
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
    });
    return { aws, client };
  });
  const Bucket = settings.bucket;
  return {
    kind: 's3',
    async put(key, body, contentType) {
      const { aws, client } = await connect();
      const upload = new aws.Upload({ client, params: { Bucket, Key: key, Body: body, ContentType: contentType }, partSize: PART_SIZE, queueSize: 2 });
      try {
        await upload.done();
      } catch (error) {
        await upload.abort().catch(() => undefined);
        await client.send(new aws.DeleteObjectCommand({ Bucket, Key: key })).catch(() => undefined);
        throw error;
      }
    },
    async get(key, range) {
      const { aws, client } = await connect();
      const res = await client.send(new aws.GetObjectCommand({ Bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
      if (!res.Body) throw new Error('empty S3 response');
      return res.Body as Readable;
    },
    async remove(key) {
      const { aws, client } = await connect();
      await client.send(new aws.DeleteObjectCommand({ Bucket, Key: key }));
    },
    async exists(key) {
      const { aws, client } = await connect();
      try {
        await client.send(new aws.HeadObjectCommand({ Bucket, Key: key }));
        return true;
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw error;
      }
    },
    async list(prefix) {
      const { aws, client } = await connect();
      const found: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new aws.ListObjectsV2Command({ Bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
        for (const o of page.Contents ?? []) if (o.Key) found.push({ key: o.Key, size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return found;
    },
    async presign(key, { expiresInSeconds, contentType, disposition }) {
      const { aws, client } = await connect();
      return aws.getSignedUrl(
        client,
        new aws.GetObjectCommand({ Bucket, Key: key, ResponseContentType: contentType, ResponseContentDisposition: disposition }),
        {
          expiresIn: expiresInSeconds,
        },
      );
    },
  };
}

// ── Signed local download addresses ─────────────────────────────────────────────────────────

/** HMAC over the school, the file and the expiry: the address works for that file only, until then. */
export function signDownload(secret: string, tenantId: string, fileId: string, expires: number): string {
  return createHmac('sha256', secret).update(`edify-file\n${tenantId}\n${fileId}\n${expires}`).digest('base64url');
}

export function verifyDownload(secrets: string[], tenantId: string, fileId: string, expires: number, signature: string): boolean {
  const given = Buffer.from(signature);
  return secrets.some((secret) => {
    const expected = Buffer.from(signDownload(secret, tenantId, fileId, expires));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

// The S3 driver against a real S3-protocol server (s3rver, in process): a 12 MB multipart upload
// round-trips byte for byte, ranges and removal work, and the whole app runs on it, presigned
// download addresses included.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import test from 'ava';
import { s3Storage } from '../../api/files/storage.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { PDF, raw, readAll, startS3, upload } from '../helpers/files.ts';
import { startApp } from '../helpers/http.ts';

const s3 = startS3();

const settings = async () => {
  const { endpoint, bucket } = await s3;
  return { endpoint, bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true };
};

/** 12 MB in 64 KB chunks that differ, so a misplaced part would show. */
function twelveMegabytes(): { stream: Readable; sha256: string; size: number } {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for (let i = 0; i < 192; i++) {
    const chunk = Buffer.alloc(64 * 1024, i % 251);
    chunk.writeUInt32BE(i, 0);
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { stream: Readable.from(chunks), sha256: hash.digest('hex'), size: 192 * 64 * 1024 };
}

test('the S3 driver round-trips a 12 MB multipart upload, reads ranges, and removes', async (t) => {
  const storage = s3Storage(await settings());
  const { stream, sha256, size } = twelveMegabytes();
  await storage.put('tenant-x/big', stream, 'application/pdf');
  t.true(await storage.exists('tenant-x/big'));
  const back = await readAll((await storage.get('tenant-x/big')) as Readable);
  t.is(back.length, size);
  t.is(createHash('sha256').update(back).digest('hex'), sha256);
  const part = await readAll((await storage.get('tenant-x/big', { start: 8 * 1024 * 1024, end: 8 * 1024 * 1024 + 3 })) as Readable);
  t.is(part.readUInt32BE(0), (8 * 1024 * 1024) / (64 * 1024));
  await storage.remove('tenant-x/big');
  t.false(await storage.exists('tenant-x/big'));
  await storage.remove('tenant-x/big');
  t.pass('removing twice is fine');
});

test('a failed upload stream leaves nothing in the bucket', async (t) => {
  const storage = s3Storage(await settings());
  const failing = Readable.from(
    (async function* () {
      yield Buffer.alloc(6 * 1024 * 1024, 1);
      throw new Error('client went away');
    })(),
  );
  await t.throwsAsync(storage.put('tenant-x/broken', failing, 'application/pdf'), { message: /client went away/ });
  t.false(await storage.exists('tenant-x/broken'));
});

test('the app stores uploads in S3 and hands out presigned download addresses', async (t) => {
  const { config } = testEnv();
  const app = await startApp({ files: { ...config.files, storage: 's3', s3: await settings() } });
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const res = await upload(app, school.slug, teacher.token, { name: 'sheet.pdf', content: PDF });
  t.is(res.status, 201, res.text);
  const back = await raw(app, school.slug, 'GET', `/api/v1/files/${res.body.id}`, { token: teacher.token });
  t.true(Buffer.from(back.body).equals(PDF));
  const signed = await app.request(school.slug, 'GET', `/api/v1/files/${res.body.id}/url`, { token: teacher.token });
  t.is(signed.status, 200);
  t.true(signed.body.url.startsWith((await s3).endpoint), signed.body.url);
  t.regex(signed.body.url, /X-Amz-Expires=300/);
  const direct = await fetch(signed.body.url);
  t.is(direct.status, 200);
  t.true(Buffer.from(await direct.arrayBuffer()).equals(PDF));
  t.regex(direct.headers.get('content-disposition') ?? '', /^inline; filename="sheet.pdf"/);
});

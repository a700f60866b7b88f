// Files in tests: multipart uploads through the real app, a real clamd (Debian's clamav-daemon)
// with a one-signature database written here (EICAR), and a real S3-protocol server (s3rver).
// Servers are stopped after the test file.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { fileServices } from '../../api/files/service.ts';
import { testEnv } from './env.ts';
import { inSchool, type Person, type School } from './factories.ts';
import type { Client, Response } from './http.ts';
import { atTeardown } from './teardown.ts';

/** The EICAR test string: every scanner's harmless "virus". */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** A minimal valid PDF (file-type recognises the %PDF- header). */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
/** A 1×1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const cleanups: (() => Promise<void> | void)[] = [];
atTeardown('file services', async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

export type Part = { name: string; filename?: string; type?: string; content: Buffer | string };

const BOUNDARY = '----edify-test-boundary-7d3f';

export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type = p.filename !== undefined ? `Content-Type: ${p.type ?? 'application/octet-stream'}\r\n` : '';
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(p.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${BOUNDARY}` };
}

function parse(res: http.IncomingMessage, chunks: Buffer[]): Response {
  const raw = Buffer.concat(chunks);
  const text = raw.toString('utf8');
  let body: unknown = raw;
  if (/json/.test(res.headers['content-type'] ?? '') && text) body = JSON.parse(text);
  return { status: res.statusCode ?? 0, headers: res.headers, body, text };
}

/** POST /api/v1/files with one file. */
export function upload(app: Client, school: string, token: string, file: { name: string; content: Buffer | string; purpose?: string }): Promise<Response> {
  const { body, contentType } = multipart([{ name: 'file', filename: file.name, content: file.content }]);
  const query = file.purpose === undefined ? '?purpose=documents' : file.purpose === '' ? '' : `?purpose=${file.purpose}`;
  return raw(app, school, 'POST', `/api/v1/files${query}`, { token, body, headers: { 'content-type': contentType } });
}

/** A request with a Buffer body (or none), answered with the raw bytes as `body` unless JSON. */
export function raw(
  app: Client,
  school: string,
  method: string,
  urlPath: string,
  options: { token?: string; body?: Buffer; headers?: Record<string, string>; agent?: http.Agent } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent: options.agent,
        host: '127.0.0.1',
        port: app.port,
        method,
        path: urlPath,
        headers: {
          host: `${school}.${app.deps.config.baseDomain}:${app.port}`,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body ? { 'content-length': String(options.body.length) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(parse(res, chunks)));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Streams a generated body of `total` bytes (chunked, no Content-Length), writing only as fast
 * as the server reads, and going on writing after an early answer, as a careless client would.
 * Resolves with the answer and how many bytes were written before the server stopped taking
 * them (closed the connection), or `total` if it read everything. */
export function streamUpload(
  app: Client,
  school: string,
  token: string,
  options: { name: string; head: Buffer; total: number; purpose: string },
): Promise<{ res: Response; written: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered: Response | undefined;
    let stopped = false;
    const req = http.request({
      host: '127.0.0.1',
      port: app.port,
      method: 'POST',
      path: `/api/v1/files?purpose=${options.purpose}`,
      headers: {
        host: `${school}.${app.deps.config.baseDomain}:${app.port}`,
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'transfer-encoding': 'chunked',
      },
    });
    const settle = () => {
      if (answered && stopped) resolve({ res: answered, written });
    };
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = parse(res, chunks);
        settle();
      });
    });
    // The server closing while we still write is what the test is about.
    req.on('error', (error) => {
      stopped = true;
      if (!answered) reject(error);
    });
    req.on('close', () => {
      stopped = true;
      settle();
    });
    const preamble = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${options.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => {
      while (!req.destroyed && !stopped) {
        if (written >= options.total) {
          req.end(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
          return;
        }
        const next = written === 0 ? Buffer.concat([preamble, options.head]) : chunk;
        written += next.length;
        if (!req.write(next)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** A clean PDF of the school uploaded by `by`, stored without going through HTTP (for tests
 * that need a file to exist, such as the isolation test). Returns its id. */
export async function seedFile(school: School, by: Pick<Person, 'id'>, name = 'seeded.pdf'): Promise<string> {
  const { storage } = fileServices(testEnv().config.files);
  const key = `${school.tenant.id}/${randomBytes(18).toString('base64url')}`;
  await storage.put(key, Readable.from([PDF]), 'application/pdf');
  return inSchool(school, async (scope) => {
    const [row] = await scope
      .db('files')
      .insert({
        tenant_id: school.tenant.id,
        uploaded_by: by.id,
        purpose: 'documents',
        name,
        content_type: 'application/pdf',
        size_bytes: PDF.length,
        sha256: createHash('sha256').update(PDF).digest('hex'),
        storage_key: key,
        status: 'clean',
      })
      .returning('id');
    return row.id as string;
  });
}

// ── clamd ─────────────────────────────────────────────────────────────────────────────────────

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('zPING\0'));
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
    });
    socket.on('close', () => resolve(reply.startsWith('PONG')));
    socket.on('error', () => resolve(false));
  });
}

/** Starts Debian's clamd on a free TCP port with a database that knows only EICAR. */
export async function startClamd(): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-clamd-'));
  const db = path.join(dir, 'db');
  const port = await freePort();
  mkdirSync(db);
  const md5 = createHash('md5').update(EICAR).digest('hex');
  writeFileSync(path.join(db, 'test.hdb'), `${md5}:${Buffer.byteLength(EICAR)}:Edify-Test-EICAR\n`);
  const conf = path.join(dir, 'clamd.conf');
  writeFileSync(
    conf,
    [
      'Foreground yes',
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${db}`,
      'User root',
      // Its own log file: clamd locks it, and two test files' clamd would fight over /dev/null.
      `LogFile ${path.join(dir, 'clamd.log')}`,
      'StreamMaxLength 300M',
      'MaxFileSize 300M',
      'MaxScanSize 300M',
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/clamd', ['--config-file', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  // Ready when it answers PING (it loads the database first); no fixed wait.
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`clamd exited: ${stderr}`);
    if (await ping(port)) return { url: `tcp://127.0.0.1:${port}`, port, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`clamd did not start: ${stderr}`);
}

// ── S3 ────────────────────────────────────────────────────────────────────────────────────────

export type S3Server = { endpoint: string; bucket: string; directory: string };

/** s3rver on a free port with one bucket; credentials are not checked by it. */
export async function startS3(): Promise<S3Server> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'edify-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = `edify-test-${randomBytes(4).toString('hex')}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  cleanups.push(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return { endpoint, bucket, directory };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

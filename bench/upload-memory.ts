// `node bench/upload-memory.ts [MB]` (Node 24: `npx node bench/upload-memory.ts`): streams one
// upload of MB megabytes (default 200) over HTTP through Edify's upload pipeline
// (api/files/upload.ts: busboy → type from the first bytes → local storage, and clamd when
// CLAMAV_URL is set) and prints the process's resident memory before, at its peak and after.
// Memory stays flat when nothing buffers the whole file: the peak grows by a few MB (stream
// buffers, the head kept for type detection), not by the file's size. Not a test: no database,
// no assertion, numbers for docs/files.md.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createScanner } from '../api/files/scanner.ts';
import { localStorage } from '../api/files/storage.ts';
import { receiveUpload } from '../api/files/upload.ts';

const megabytes = Number(process.argv[2] ?? 200);
const total = megabytes * 1024 * 1024;
const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-upload-bench-'));
const storage = localStorage(dir);
const clamav = process.env.CLAMAV_URL;
const scanner = createScanner(clamav ? { url: clamav, whenDown: 'wait', timeoutMs: 120_000 } : undefined);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss());
};
globalThis.gc?.();
const before = process.memoryUsage.rss();
const sampler = setInterval(sample, 20);

const server = http.createServer((req, res) => {
  receiveUpload(req, { tenantId: 'bench', maxBytes: total + 1024 * 1024, purpose: 'documents', storage, scanner, allowUnscanned: true }).then(
    (received) => {
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size: received.size, status: received.status }));
    },
    (error: Error) => {
      res.writeHead(500).end(error.message);
    },
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };

const boundary = '----edify-bench';
const started = performance.now();
const answer = await new Promise<string>((resolve, reject) => {
  const req = http.request(
    {
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
    },
    (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve(`${res.statusCode} ${text}`));
    },
  );
  req.on('error', reject);
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const next =
        sent === 0
          ? Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n%PDF-1.4\n`), chunk])
          : chunk;
      sent += chunk.length;
      if (!req.write(next)) {
        req.once('drain', pump);
        return;
      }
    }
    req.end(`\r\n--${boundary}--\r\n`);
  };
  pump();
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
sample();
server.close();
rmSync(dir, { recursive: true, force: true });

console.log(`upload of ${mb(total)} (${clamav ? 'scanned by clamd' : 'no scanner'}): ${answer}`);
console.log(`time ${seconds.toFixed(1)} s, ${mb(total / seconds)}/s`);
console.log(`RSS before ${mb(before)}, peak ${mb(peak)} (+${mb(peak - before)}), after ${mb(process.memoryUsage.rss())}`);

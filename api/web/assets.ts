// Static files of the pages (api/web/assets/): served under a name that carries a hash of their
// content, so browsers keep them for a year and a deploy changes the name. Templates ask for a
// file by its plain name ({{asset "app.css"}}) and get the hashed address.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { notFound } from '../errors.ts';
import { platformRoute, type Reply } from '../http/route.ts';

const DIR = new URL('./assets/', import.meta.url);
const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml' };

type Asset = { hashedName: string; type: string; body: Buffer; etag: string };

function load(): { byPlain: Map<string, Asset>; byHashed: Map<string, Asset> } {
  const byPlain = new Map<string, Asset>();
  const byHashed = new Map<string, Asset>();
  for (const name of readdirSync(DIR)) {
    const ext = name.split('.').pop() ?? '';
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(new URL(name, DIR));
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 10);
    const hashedName = name.replace(/\.(\w+)$/, `.${hash}.$1`);
    const asset = { hashedName, type, body, etag: `"${hash}"` };
    byPlain.set(name, asset);
    byHashed.set(hashedName, asset);
  }
  return { byPlain, byHashed };
}

const assets = load();

/** The address of a static file, by its plain name (`app.css` → `/assets/app.3fa9c0d1e2.css`). */
export function assetUrl(name: string): string {
  const asset = assets.byPlain.get(name);
  if (!asset) throw new Error(`web: no asset "${name}"`);
  return `/assets/${asset.hashedName}`;
}

export const assetRoutes = [
  platformRoute(
    {
      method: 'get',
      path: '/assets/:name',
      summary: 'A static file of the web pages (content-hashed name, cached for a year)',
      tags: ['pages'],
      responses: { 200: { description: 'The file', contentType: 'text/css' } },
      handler: async ({ ctx }): Promise<Reply> => {
        const asset = assets.byHashed.get(String(ctx.params.name));
        if (!asset) throw notFound('The file');
        if (ctx.get('if-none-match') === asset.etag) return { status: 304, headers: { ETag: asset.etag } };
        return {
          body: asset.body,
          headers: { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable', ETag: asset.etag },
        };
      },
    },
    'any',
  ),
];

// The school's logo: an admin uploads it on /admin/settings (through the file service) and it
// appears in every page's header with the school's name as its text, served at the public,
// cacheable /logo; a non-image, an SVG or a GIF is refused with a message saying what is wanted;
// teachers cannot change it; it can be removed; emails point at it.
import test from 'ava';
import { cleanupFiles, fileServices } from '../../api/files/service.ts';
import { mailSchool } from '../../api/school/service.ts';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { PDF, PNG, upload } from '../helpers/files.ts';
import { startApp } from '../helpers/http.ts';

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

test('an admin uploads a logo, it appears in the header; a non-image is refused with a clear message; removable', async (t) => {
  const app = await startApp();
  const school = await createSchool({ name: 'Rowan Academy' });
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug, '/admin/settings'), school.admin);
  t.is(await page.locator('header img').count(), 0, 'no logo yet');
  const picker = page.getByLabel('Choose an image');

  // A PDF: the file service refuses it as an image, and the picker says so beside the file.
  await picker.setInputFiles({ name: 'letter.pdf', mimeType: 'application/pdf', buffer: PDF });
  await t.notThrowsAsync(page.locator('#logo-list li.field-error', { hasText: 'A PDF file is not accepted as images.' }).waitFor());
  // A GIF is an image the file service takes, but not a logo: the form says what is wanted.
  await page
    .locator('#logo-list li')
    .first()
    .evaluate((li) => li.remove());
  await picker.setInputFiles({ name: 'spinner.gif', mimeType: 'image/gif', buffer: GIF });
  await page.locator('#logo-list li', { hasText: 'Uploaded' }).waitFor();
  await page.getByRole('button', { name: 'Use this logo' }).click();
  await t.notThrowsAsync(page.locator('#logo-error', { hasText: 'The logo must be a PNG, JPEG or WebP image (this one is a GIF).' }).waitFor());
  t.deepEqual(await seriousViolations(page), []);

  await picker.setInputFiles({ name: 'rowan.png', mimeType: 'image/png', buffer: PNG });
  await page.locator('#logo-list li', { hasText: 'Uploaded' }).waitFor();
  await page.getByRole('button', { name: 'Use this logo' }).click();
  await page.waitForURL(/\/admin\/settings\?saved=logo$/);
  const logo = page.locator('header a.brand img');
  t.is(await logo.getAttribute('alt'), 'Rowan Academy');
  t.regex((await logo.getAttribute('src')) ?? '', /^\/logo\?v=[0-9a-f]{16}$/);
  t.true(await logo.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0), 'the image loads');
  t.true(await page.getByRole('link', { name: 'Rowan Academy', exact: true }).isVisible(), 'the header link is named by the logo’s alt text');
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'admin-settings-logo');
  await page.setViewportSize(PHONE);
  t.false(await scrollsSideways(page));

  // Public and cacheable on the school's host, with an ETag.
  const src = (await logo.getAttribute('src')) ?? '';
  const served = await app.request(school.slug, 'GET', src);
  t.is(served.status, 200);
  t.is(served.headers['content-type'], 'image/png');
  t.is(served.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.is(served.headers['x-content-type-options'], 'nosniff');
  const etag = served.headers.etag ?? '';
  t.regex(etag, /^"[0-9a-f]{64}"$/);
  t.is((await app.request(school.slug, 'GET', '/logo', { headers: { 'if-none-match': etag } })).status, 304);
  t.is((await app.request(school.slug, 'GET', '/logo?v=old')).headers['cache-control'], 'public, max-age=300');
  const other = await createSchool();
  t.is((await app.request(other.slug, 'GET', '/logo')).status, 404, 'another school has none');

  // Emails point at it on the school's host.
  const { config } = testEnv();
  const tenant = (await app.request(school.slug, 'GET', '/api/v1/school', { token: school.admin.token })).body as { logo_url: string };
  t.is(tenant.logo_url, src);

  // Removable.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Remove the logo' }).click();
  await page.waitForURL(/saved=logo-removed$/);
  t.is(await page.locator('header img').count(), 0);
  t.is((await app.request(school.slug, 'GET', '/logo')).status, 404);
  t.is(mailSchool({ tenant: school.tenant }, config).logo_url, undefined);
  await context.close();
});

test('teachers cannot change the logo; SVG never gets in; the API names the mistake', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const png = await upload(app, school.slug, teacher.token, { name: 'mine.png', content: PNG, purpose: 'images' });
  t.is(png.status, 201);

  t.is((await app.request(school.slug, 'GET', '/admin/settings', { token: teacher.token })).status, 403);
  const post = await app.request(school.slug, 'POST', '/admin/settings/logo', { token: teacher.token, raw: `file_ids=${png.body.id}`, headers: form });
  t.is(post.status, 403);
  const patch = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: teacher.token, body: { logo_file_id: png.body.id } });
  t.is(patch.status, 403);
  const remove = await app.request(school.slug, 'POST', '/admin/settings/logo/remove', { token: teacher.token, raw: '', headers: form });
  t.is(remove.status, 403);
  t.is((await app.request(school.slug, 'GET', '/api/v1/school', { token: teacher.token })).body.logo_url, null);

  // SVG is refused by the file service under any name, so it can never become a logo.
  const svg = await upload(app, school.slug, school.admin.token, { name: 'logo.svg', content: SVG, purpose: 'images' });
  t.is(svg.status, 415);

  // Through the API: a PDF is named as such; a file of another school is not found here.
  const pdf = await upload(app, school.slug, school.admin.token, { name: 'letter.pdf', content: PDF, purpose: 'documents' });
  const wrong = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: school.admin.token, body: { logo_file_id: pdf.body.id } });
  t.is(wrong.status, 422);
  t.deepEqual(
    wrong.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    [['logo_file_id', 'must be a PNG, JPEG or WebP image (this one is a PDF)']],
  );
  const elsewhere = await createSchool();
  const theirs = await upload(app, elsewhere.slug, elsewhere.admin.token, { name: 'theirs.png', content: PNG, purpose: 'images' });
  const foreign = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: school.admin.token, body: { logo_file_id: theirs.body.id } });
  t.is(foreign.status, 422);

  // An admin may use an image a teacher uploaded; the email header then carries its address.
  const set = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: school.admin.token, body: { logo_file_id: png.body.id } });
  t.is(set.status, 200);
  t.regex(set.body.logo_url, /^\/logo\?v=[0-9a-f]{16}$/);
  const { config, dbs } = testEnv();
  const now = await dbs.owner('tenants').where({ id: school.tenant.id }).first();
  t.is(mailSchool({ tenant: now }, config).logo_url, `http://${school.slug}.${config.baseDomain}:${config.port}${set.body.logo_url}`);

  // The file cleanup keeps the logo (it is attached to the school), days later too.
  const later = new Date(Date.now() + 3 * 24 * 3600_000);
  await cleanupFiles(dbs, fileServices(config.files).storage, { clock: () => later, schools: [school.tenant.id] });
  t.is((await app.request(school.slug, 'GET', set.body.logo_url)).status, 200);
});

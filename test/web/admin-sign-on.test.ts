// Single sign-on set up in the browser: an admin connects the district's IdP from its metadata file,
// maps faculty to teachers, copies the values for the IdP, and a teacher then signs in through it;
// the admin sees the attempt. Certificates close to expiry are flagged; bad metadata is explained.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { BrowserContext } from 'playwright-core';
import { createConnection } from '../../api/sso/connections.ts';
import { fetchIdpMetadata } from '../../api/sso/fetch-metadata.ts';
import { openContext, schoolUrl, screenshot, seriousViolations, signIn } from '../helpers/browser.ts';
import { createSchool, inSchool } from '../helpers/factories.ts';
import { type Client, startApp } from '../helpers/http.ts';
import { buildSamlResponse, idpMetadata, keyPair, readAuthnRequest } from '../helpers/saml-idp.ts';

const IDP = 'https://idp.springfield.test/saml';
const SSO = 'https://idp.springfield.test/sso';

/** The district IdP in the browser: signs Tess in (faculty) and posts the response to the ACS. */
async function districtIdp(context: BrowserContext, app: Client, slug: string, connection: { id: string; sp: string; acs: string }) {
  await context.route('https://idp.springfield.test/**', async (route) => {
    const request = readAuthnRequest(route.request().url());
    const relayState = new URL(route.request().url()).searchParams.get('RelayState') ?? '';
    const response = buildSamlResponse({
      issuer: IDP,
      destination: connection.acs,
      audience: connection.sp,
      inResponseTo: request?.id,
      nameId: 'tess@springfield.test',
      attributes: { email: 'tess@springfield.test', firstName: 'Tess', lastName: 'Teacher', eduPersonAffiliation: ['member', 'faculty'] },
    });
    const html = `<!doctype html><html lang="en"><title>District</title><body>
      <form id="f" method="post" action="${schoolUrl(app.port, slug, `/auth/saml/${connection.id}/acs`)}">
      <input type="hidden" name="SAMLResponse" value="${response}">
      <input type="hidden" name="RelayState" value="${relayState.replace(/"/g, '&quot;')}">
      </form><script>document.getElementById('f').submit()</script></body></html>`;
    await route.fulfill({ status: 200, contentType: 'text/html', body: html });
  });
}

test('an admin connects the district IdP from its metadata file, and a teacher signs in through it', async (t) => {
  const app = await startApp();
  const school = await createSchool({ name: 'Lincoln Elementary' });
  const home = schoolUrl(app.port, school.slug);
  const admin = await openContext();
  await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: home.replace(/\/$/, '') });
  const page = await admin.newPage();
  await signIn(page, home, school.admin);
  await page.goto(schoolUrl(app.port, school.slug, '/admin/sign-on'));
  t.deepEqual(await seriousViolations(page), [], 'the sign-on page');

  // Bad metadata first: the reason is on the field, nothing is saved.
  await page.getByLabel('Metadata XML').fill('<html>not metadata</html>');
  await page.getByRole('button', { name: 'Connect' }).click();
  t.regex(await page.locator('#metadata_xml-error').innerText(), /no EntityDescriptor with an IDPSSODescriptor/);
  // A metadata URL the server must not fetch (not https).
  await page.getByLabel('Metadata XML').fill('');
  await page.getByLabel('Metadata URL').fill('http://169.254.169.254/latest/meta-data');
  await page.getByRole('button', { name: 'Connect' }).click();
  t.regex(await page.locator('#metadata_url-error').innerText(), /must start with https/);

  const metadata = idpMetadata({ entityId: IDP, ssoUrl: SSO, certs: [keyPair('idp').cert] });
  await page.getByLabel('Metadata URL').fill('');
  await page.getByLabel('Metadata file').setInputFiles({ name: 'idp.xml', mimeType: 'application/xml', buffer: Buffer.from(metadata) });
  await page.waitForFunction(() => (document.getElementById('metadata_xml') as HTMLTextAreaElement).value.includes('EntityDescriptor'));
  await page.getByLabel('Name people will see').fill('Springfield District');
  await page.getByLabel('Attribute that carries the role').fill('eduPersonAffiliation');
  await page.getByLabel('Values → roles').fill('faculty = teacher\nstudent = student');
  await page.getByLabel('People whose value matches nothing').selectOption('deny');
  await page.getByLabel('Allowed email domains').fill('springfield.test');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.waitForURL(/\/admin\/sign-on\/[0-9a-f-]+\?done=created/);
  const id = new URL(page.url()).pathname.split('/').pop() as string;
  const sp = await page.getByRole('textbox', { name: 'SP entity ID (audience)' }).inputValue();
  const acs = await page.getByRole('textbox', { name: 'ACS (reply) URL' }).inputValue();
  t.true(acs.endsWith(`.localhost:${new URL(acs).port}/auth/saml/${id}/acs`), acs);
  await page.getByRole('button', { name: 'Copy ACS (reply) URL' }).click();
  t.is(await page.evaluate(() => navigator.clipboard.readText()), acs, 'the copy button copies the ACS URL');
  t.deepEqual(await seriousViolations(page), [], 'the connection page');
  await screenshot(page, 'admin-sign-on-connection');

  // A teacher signs in through the district, in another browser.
  const teacher = await openContext();
  await districtIdp(teacher, app, school.slug, { id, sp, acs });
  const tess = await teacher.newPage();
  await tess.goto(home);
  await tess.getByRole('link', { name: 'Sign in with Springfield District' }).click();
  await tess.waitForURL(home);
  t.true(await tess.getByRole('heading', { name: 'Hello, Tess' }).isVisible());
  t.false(await tess.getByRole('link', { name: 'Admin' }).isVisible(), 'a teacher gets no Admin entry');
  await tess.goto(schoolUrl(app.port, school.slug, '/admin/sign-on'));
  t.regex(await tess.getByRole('heading', { level: 1 }).innerText(), /can’t open this page/);
  await teacher.close();

  // The admin sees the attempt, with the outcome.
  await page.reload();
  const attempts = await page.getByRole('region', { name: 'Last 20 sign-in attempts' }).innerText();
  t.regex(attempts, /Signed in\s+tess@springfield\.test/);

  // Changing the mapping: everyone unmapped becomes a student; the form keeps what was typed on a mistake.
  await page.getByLabel('Allowed email domains').fill('not a domain');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  t.regex(await page.locator('#allowed_domains-error').innerText(), /must be a domain/);
  await page.getByLabel('Allowed email domains').fill('springfield.test, lincoln.test');
  await page.getByLabel('People whose value matches nothing').selectOption('student');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.', { exact: true }).waitFor();
  const listed = await app.request(school.slug, 'GET', '/api/v1/sso/connections', { token: school.admin.token });
  t.like(listed.body.data[0], {
    default_role: 'student',
    allowed_domains: ['springfield.test', 'lincoln.test'],
    role_map: { faculty: 'teacher', student: 'student' },
  });
  await admin.close();
});

test('a certificate that expires within 30 days is flagged on the list and the connection', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '10',
      '-subj',
      '/CN=soon.district.test',
      '-keyout',
      path.join(dir, 'k.pem'),
      '-out',
      path.join(dir, 'c.pem'),
    ],
    {
      stdio: 'ignore',
    },
  );
  const soon = readFileSync(path.join(dir, 'c.pem'), 'utf8');
  const connection = await inSchool(school, (scope) =>
    createConnection(scope, idpMetadata({ entityId: IDP, ssoUrl: SSO, certs: [soon] }), { name: 'Springfield District' }),
  );
  const list = await app.request(school.slug, 'GET', '/admin/sign-on', { token: school.admin.token });
  t.regex(list.text, /Expires within 30 days/);
  const one = await app.request(school.slug, 'GET', `/admin/sign-on/${connection.id}`, { token: school.admin.token });
  t.regex(one.text, /Expires within 30 days: ask the district for fresh metadata/);
  const fine = await inSchool(school, (scope) =>
    createConnection(scope, idpMetadata({ entityId: `${IDP}/2`, ssoUrl: SSO, certs: [keyPair('idp').cert] }), { name: 'Other' }),
  );
  const other = await app.request(school.slug, 'GET', `/admin/sign-on/${fine.id}`, { token: school.admin.token });
  t.notRegex(other.text, /Expires within 30 days/);
});

test('a metadata URL is fetched only over https from a public address', async (t) => {
  for (const [url, reason] of [
    ['http://idp.example.org/metadata', /must start with https/],
    ['https://127.0.0.1/metadata', /private or local address/],
    ['https://[::1]/metadata', /private or local address/],
    ['https://localhost/metadata', /private or local address/],
    ['https://169.254.169.254/latest', /private or local address/],
    ['https://user:pw@idp.example.org/m', /user name or password/],
    ['not a url', /not a URL/],
  ] as const) {
    const error = await t.throwsAsync(fetchIdpMetadata(url));
    t.regex(error?.message ?? '', reason, url);
  }
});

// District sign-in in a real browser: the school's sign-in page offers "Sign in with <district>",
// the browser goes to the IdP (the test IdP, answering through Playwright's network interception
// with a signed response in an auto-posting form, as a real IdP does) and comes back signed in
// on the dashboard, or on the page it first asked for.
import test from 'ava';
import type { BrowserContext } from 'playwright-core';
import { openContext, schoolUrl, seriousViolations } from '../helpers/browser.ts';
import { readAuthnRequest } from '../helpers/saml-idp.ts';
import { responseFor, type Setup, setup } from '../helpers/sso-flow.ts';

/** The district IdP: signs the person in and posts the response back to the school's ACS. */
async function districtIdp(context: BrowserContext, s: Setup) {
  await context.route('https://idp.district.test/**', async (route) => {
    const request = readAuthnRequest(route.request().url());
    const relayState = new URL(route.request().url()).searchParams.get('RelayState') ?? '';
    const html = `<!doctype html><html lang="en"><title>District</title><body>
      <form id="f" method="post" action="${schoolUrl(s.app.port, s.school.slug, `/auth/saml/${s.connectionId}/acs`)}">
      <input type="hidden" name="SAMLResponse" value="${responseFor(s, request)}">
      <input type="hidden" name="RelayState" value="${relayState.replace(/"/g, '&quot;')}">
      </form><script>document.getElementById('f').submit()</script></body></html>`;
    await route.fulfill({ status: 200, contentType: 'text/html', body: html });
  });
}

test('“Sign in with Springfield District” lands the person on their dashboard, signed in', async (t) => {
  const s = await setup();
  const context = await openContext();
  await districtIdp(context, s);
  const page = await context.newPage();
  const home = schoolUrl(s.app.port, s.school.slug);
  await page.goto(home);
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('link', { name: 'Sign in with Springfield District' }).click();
  await page.waitForURL(home);
  t.true(await page.getByRole('heading', { name: 'Hello, Tess' }).isVisible());
  t.true(await page.getByRole('link', { name: 'Classes' }).isVisible(), 'signed in as a teacher (faculty → teacher)');
  await context.close();
});

test('a signed-out visitor of a page signs in through the district and comes back to that page', async (t) => {
  const s = await setup();
  const context = await openContext();
  await districtIdp(context, s);
  const page = await context.newPage();
  await page.goto(schoolUrl(s.app.port, s.school.slug, '/me/devices'));
  await page.waitForURL(/\/sign-in\?next=%2Fme%2Fdevices/);
  await page.getByRole('link', { name: 'Sign in with Springfield District' }).click();
  await page.waitForURL(schoolUrl(s.app.port, s.school.slug, '/me/devices'));
  t.true(await page.getByRole('heading', { name: 'My devices' }).isVisible());
  await context.close();
});

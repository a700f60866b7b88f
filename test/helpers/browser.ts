// Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the web pages.
// Chromium resolves *.localhost to loopback by itself, so http://<school>.localhost:<port>/ reaches
// the test app's school. One browser per test file; each test gets its own context (cookies).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { PASSWORD } from './factories.ts';
import { atTeardown } from './teardown.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Promise<Browser> | undefined;

atTeardown('chromium', async () => {
  if (browser) await (await browser).close();
});

function launch(): Promise<Browser> {
  browser ??= chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return browser;
}

export const PHONE = { width: 360, height: 740 };
export const LAPTOP = { width: 1280, height: 800 };

/** A fresh browser context (its own cookies). `bypassCSP` only so axe-core can be injected.
 * `javaScriptEnabled: false` for the pages' no-JavaScript paths. */
export async function openContext(viewport = LAPTOP, options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
  return (await launch()).newContext({ viewport, bypassCSP: true, ...options });
}

export function schoolUrl(port: number, slug: string, pathname = '/'): string {
  return `http://${slug}.localhost:${port}${pathname}`;
}

export type AxeViolation = { id: string; impact: string | null | undefined; help: string; nodes: string[] };

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    return run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** True when the page is wider than the viewport (a phone would scroll sideways). */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

/** Saves docs/screenshots/<name>.png when UPDATE_SCREENSHOTS=1 (kept out of ordinary runs). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  const dir = path.resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Signs in through the school's sign-in form and waits for the page it lands on (`url`). */
export async function signIn(page: Page, url: string, person: { email: string }, password = PASSWORD): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(url);
}

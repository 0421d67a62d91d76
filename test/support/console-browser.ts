import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { requireOsTool } from './os-tools.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the tests put the console's screenshots, which docs/console.md shows. */
export const screenshotDir = path.join(root, 'docs', 'console');

export interface ConsoleBrowser {
  browser: Browser;
  /** A fresh browser profile (no cookies), light or dark, at a desktop or phone width. */
  context(options?: { dark?: boolean; phone?: boolean }): Promise<BrowserContext>;
  /** Saves a screenshot of the page as docs/console/<name>.png. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium (the `chromium` OS package; no browser download), headless, driven by
 * playwright-core, with a profile directory of its own.
 */
export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const executablePath = await requireOsTool('chromium');
  const profiles = await mkdtemp(path.join(os.tmpdir(), 'longshore-chromium-'));
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: { ...process.env, HOME: profiles, XDG_CONFIG_HOME: profiles, XDG_CACHE_HOME: profiles },
  });
  return {
    browser,
    context: ({ dark = false, phone = false } = {}) =>
      browser.newContext({
        colorScheme: dark ? 'dark' : 'light',
        viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
        locale: 'en-US',
        timezoneId: 'UTC',
      }),
    async screenshot(page, name) {
      await mkdir(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await rm(profiles, { recursive: true, force: true });
    },
  };
}

/** The text a locator shows, as rendered (Playwright's innerText, whitespace as laid out; not the DOM property). */
export function shownText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, the rendered text the user reads.
  return locator.innerText();
}

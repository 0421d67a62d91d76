import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchConsoleBrowser, shownText } from '../support/console-browser.js';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';

// With AUTH=off the console opens directly, shows everything, and says that authentication is off;
// with CONSOLE=false, /ui/ is not served at all.
describe('the web console with AUTH=off, and CONSOLE=false', () => {
  let longshore: Longshore;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    longshore = await startLongshore({ env: { AUTH: 'off' } });
    browser = await launchConsoleBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await longshore?.close();
  });

  it('opens without signing in and says authentication is off', async () => {
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'open/app' }));
    const context = await browser.context();
    const page = await context.newPage();
    await page.goto(`${longshore.endpoint}/ui/`);
    expect(await shownText(page.locator('.banner'))).toContain('Authentication is off (AUTH=off)');
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['open/app']);
    await page.goto(`${longshore.endpoint}/ui/sign-in`);
    expect(page.url()).toBe(`${longshore.endpoint}/ui/`);
    await page.goto(`${longshore.endpoint}/ui/operations`);
    expect(await page.getByRole('heading', { level: 1 }).allInnerTexts()).toEqual(['Operations']);
    await browser.screenshot(page, 'operations-auth-off');
    await context.close();
  });

  it('counts finalized uploads, not finalize jobs, when one job carries several (group commit)', async () => {
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'open/batched' }));
    const pushes = 12;
    await Promise.all(
      Array.from({ length: pushes }, () => pushLayer(longshore.ecr, 'open/batched', randomLayer(4096))),
    );
    const context = await browser.context();
    const page = await context.newPage();
    await page.goto(`${longshore.endpoint}/ui/operations`);
    const fact = (name: string) =>
      page.locator('dl.facts div', { has: page.locator('dt', { hasText: name }) }).locator('dd');
    // Nothing else was pushed to this deployment: every one of the pushes, each once.
    expect(await shownText(fact('Finalized in the last minute'))).toBe(String(pushes));
    expect(await shownText(fact('Failed in the last minute'))).toBe('0');
    await context.close();
  });

  it('is not served with CONSOLE=false', async () => {
    const api = await longshore.startApi({ CONSOLE: 'false' });
    const response = await fetch(`http://127.0.0.1:${api.port}/ui/`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
    await api.stop();
  });
});

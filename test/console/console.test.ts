import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  InitiateLayerUploadCommand,
  PutLifecyclePolicyCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchConsoleBrowser, shownText } from '../support/console-browser.js';
import { type KeyEntry, writeCredentialsFile } from '../support/credentials-file.js';
import { MiB } from '../support/layer-data.js';
import { ecrClient, type Longshore, startLongshore } from '../support/longshore-harness.js';
import { type Descriptor, writeOciLayout } from '../support/oci-layout.js';
import { requireOsTool } from '../support/os-tools.js';
import { testAdminKey } from '../support/request-signing.js';
import { skopeoCopy } from '../support/skopeo.js';

/** Everything on team-a/*, nothing else. */
const teamOnlyKey: KeyEntry = {
  accessKeyId: 'AKIACONSOLETEAMA0001',
  secretAccessKey: 'console-team-a-secret-key-000000000000001',
  allow: [{ actions: ['ecr:*'], repositories: ['team-a/*'] }],
};
/** A key the revocation test removes from the credentials file. */
const revokedKey: KeyEntry = {
  accessKeyId: 'AKIACONSOLEREVOKE001',
  secretAccessKey: 'console-revoked-secret-key-00000000000001',
  allow: [{ actions: ['ecr:*'], repositories: ['*'] }],
};
const TWELVE_HOURS = 12 * 3600;
/** The browser's getComputedStyle, for the one style a test reads (the tests compile without the DOM library). */
declare const getComputedStyle: (element: unknown) => { backgroundColor: string };

// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// built API and worker, with images pushed by skopeo. The tests also take the screenshots
// docs/console.md shows.
describe('the web console at /ui/', () => {
  let longshore: Longshore;
  let browser: ConsoleBrowser;
  let work: string;
  let credentialsFile: string;
  let app: Descriptor;
  let multi: Descriptor;

  const keysFile = (keys: KeyEntry[]) =>
    writeCredentialsFile(work, { keys, anonymousPull: ['public/*'] }, 'credentials.json');

  beforeAll(async () => {
    const skopeo = await requireOsTool('skopeo');
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-console-'));
    credentialsFile = await keysFile([teamOnlyKey, revokedKey]);
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile } });
    browser = await launchConsoleBrowser();
    const token = await longshore.loginToken();
    const registry = longshore.endpoint.replace(/^http:\/\//, '');
    const push = (layout: string, tag: string, to: string, all = false) =>
      skopeoCopy(
        skopeo,
        work,
        `oci:${layout}:${tag}`,
        `docker://${registry}/${to}`,
        { dest: `AWS:${token}` },
        all ? ['--all'] : [],
      );
    app = await writeOciLayout(path.join(work, 'app'), 'v1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [300 * 1024, 2 * MiB] },
    ]);
    multi = await writeOciLayout(path.join(work, 'multi'), 'v2', [
      { architecture: 'amd64', os: 'linux', layerSizes: [64 * 1024] },
      { architecture: 'arm64', os: 'linux', layerSizes: [96 * 1024] },
    ]);
    await push(path.join(work, 'app'), 'v1', 'team-a/app:v1');
    await push(path.join(work, 'multi'), 'v2', 'team-a/app:multi', true);
    await push(path.join(work, 'app'), 'v1', 'team-b/billing:v1');
    await push(path.join(work, 'app'), 'v1', 'public/base:latest');
    await longshore.ecr.send(
      new PutLifecyclePolicyCommand({
        repositoryName: 'team-a/app',
        lifecyclePolicyText: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'keep the last 10 untagged images',
              selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 10 },
              action: { type: 'expire' },
            },
          ],
        }),
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await longshore?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const ui = (p = '') => `${longshore.endpoint}/ui/${p}`;

  async function signIn(context: BrowserContext, key: { accessKeyId: string; secretAccessKey: string }): Promise<Page> {
    const page = await context.newPage();
    await page.goto(ui('sign-in'));
    await page.getByLabel('Access key ID').fill(key.accessKeyId);
    await page.getByLabel('Secret access key').fill(key.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(ui());
    return page;
  }

  it('signs in, lists a repository skopeo pushed, opens it, opens the image and shows its layers', async () => {
    const context = await browser.context();
    const page = await context.newPage();
    await page.goto(ui());
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeTruthy();
    await browser.screenshot(page, 'sign-in');
    await page.getByLabel('Access key ID').fill(testAdminKey.accessKeyId);
    await page.getByLabel('Secret access key').fill(testAdminKey.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(ui());

    expect(await shownText(page.locator('.viewer'))).toContain(`Signed in as ${testAdminKey.accessKeyId}`);
    const row = page.getByRole('row', { name: /team-a\/app/ });
    expect(await shownText(row)).toMatch(/team-a\/app\s+4\s+/); // the image, the index and its two platform manifests;
    expect(await shownText(row)).toContain('yes'); // its lifecycle policy
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['public/base', 'team-a/app', 'team-b/billing']);
    await browser.screenshot(page, 'repositories');

    // Sorted by image count, most first; filtered by name.
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('link', { name: /Images ▲/ }).click();
    expect((await page.getByRole('rowheader').allInnerTexts())[0]).toBe('team-a/app');
    await page.getByLabel('Filter by name').fill('team-b');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['team-b/billing']);
    await page.goto(ui());

    await page.getByRole('link', { name: 'team-a/app' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'team-a/app' }).count()).resolves.toBe(1);
    const images = await page.locator('table.images tbody tr').allInnerTexts();
    expect(images).toHaveLength(4);
    const indexRow = images.find((r) => r.includes('multi'))!;
    expect(indexRow).toContain('linux/amd64, linux/arm64');
    expect(await shownText(page.locator('#lifecycle ~ pre'))).toContain('imageCountMoreThan');
    await browser.screenshot(page, 'repository');

    await page
      .getByRole('link', { name: app.digest.slice(0, 19) })
      .first()
      .click();
    await expect(page.getByRole('heading', { name: 'Layers' }).count()).resolves.toBe(1);
    const layers = await page.locator('table.layers tbody tr').allInnerTexts();
    expect(layers).toHaveLength(2);
    expect(layers[0]).toContain('300 KiB');
    expect(layers[1]).toContain('2.0 MiB');
    const registry = longshore.endpoint.replace(/^http:\/\//, '');
    expect(await shownText(page.locator('.commands'))).toContain(`docker pull ${registry}/team-a/app@${app.digest}`);
    expect(await shownText(page.locator('#manifest ~ pre'))).toContain('"layers": [');
    expect(await shownText(page.locator('#config ~ pre'))).toContain('"architecture": "amd64"');
    await browser.screenshot(page, 'image');

    // The index: its platforms, each a link to its manifest.
    await page.goto(`${ui('image')}?${new URLSearchParams({ repository: 'team-a/app', digest: multi.digest })}`);
    expect(await page.getByRole('heading', { name: 'Platforms' }).count()).toBe(1);
    expect(await shownText(page.locator('#platforms ~ div table'))).toMatch(/linux\/amd64[\s\S]*linux\/arm64/);
    await context.close();

    // The same image in the dark.
    const dark = await browser.context({ dark: true });
    const darkPage = await signIn(dark, testAdminKey);
    await darkPage.goto(`${ui('image')}?${new URLSearchParams({ repository: 'team-a/app', digest: app.digest })}`);
    const background = await darkPage.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
    expect(background).toBe('rgb(13, 17, 23)');
    await browser.screenshot(darkPage, 'image-dark');
    await dark.close();
  });

  it('refuses a wrong secret on the page, and sets no session', async () => {
    const context = await browser.context();
    const page = await context.newPage();
    await page.goto(ui('sign-in'));
    await page.getByLabel('Access key ID').fill(testAdminKey.accessKeyId);
    await page.getByLabel('Secret access key').fill(`${testAdminKey.secretAccessKey}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await shownText(page.getByRole('alert'))).toBe('The access key ID or the secret access key is not valid.');
    expect(await context.cookies()).toEqual([]);
    await page.goto(ui());
    expect(await shownText(page.locator('.viewer'))).toContain('Not signed in');
    await context.close();
  });

  it('shows a key limited to team-a/* no team-b repository, not even by its address', async () => {
    const context = await browser.context();
    const page = await signIn(context, teamOnlyKey);
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['public/base', 'team-a/app']);
    const response = await page.goto(`${ui('repository')}?name=team-b/billing`);
    expect(response?.status()).toBe(404);
    expect(await shownText(page.getByRole('alert'))).toContain(
      "no repository named 'team-b/billing' that you may read",
    );
    const image = await page.goto(
      `${ui('image')}?${new URLSearchParams({ repository: 'team-b/billing', digest: app.digest })}`,
    );
    expect(image?.status()).toBe(404);
    await context.close();
  });

  it('shows anonymousPull repositories without signing in, and nothing else', async () => {
    const context = await browser.context({ phone: true });
    const page = await context.newPage();
    await page.goto(ui());
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['public/base']);
    await browser.screenshot(page, 'repositories-signed-out-phone');
    await page.getByRole('link', { name: 'public/base' }).click();
    expect(await page.locator('table.images tbody tr').count()).toBe(1);
    // Operations need a key.
    await page.goto(ui('operations'));
    expect(page.url()).toBe(ui('sign-in'));
    await context.close();
  });

  it('lists an upload in flight on the Operations page, which refreshes by itself', async () => {
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team-a/uploads' }));
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'team-a/uploads' }));
    await longshore.ecr.send(
      new UploadLayerPartCommand({
        repositoryName: 'team-a/uploads',
        uploadId,
        partFirstByte: 0,
        partLastByte: 1023,
        layerPartBlob: new Uint8Array(1024).fill(7),
      }),
    );
    const context = await browser.context();
    const page = await signIn(context, testAdminKey);
    await page.getByRole('link', { name: 'Operations' }).click();
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('5');
    const row = page.locator('#in-flight ~ div table tbody tr', { hasText: uploadId! });
    expect(await shownText(row)).toMatch(/team-a\/uploads\s+uploading\s+1\.0 KiB\s+1/);
    const [workers, apis] = await page.locator('#processes ~ div table tbody').all();
    expect(await shownText(workers!)).toContain('alive');
    // One API process: this one, and none of the other deployments sharing the test Redis.
    expect(await apis!.locator('tr').count()).toBe(1);
    expect(await shownText(apis!)).toContain('alive');
    await browser.screenshot(page, 'operations');
    // It reloads by itself: the page's time moves on without anyone touching it.
    const before = await shownText(page.locator('main > p.muted'));
    await page.waitForEvent('load', { timeout: 20_000 });
    expect(await shownText(page.locator('main > p.muted'))).not.toBe(before);
    await context.close();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie of 12 hours, and refuses a form from another origin', async () => {
    const form = new URLSearchParams({
      accessKeyId: testAdminKey.accessKeyId,
      secretAccessKey: testAdminKey.secretAccessKey,
    });
    const post = (headers: Record<string, string>) =>
      fetch(ui('sign-in'), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: form,
      });
    const signedIn = await post({ Origin: longshore.endpoint });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^longshore_console=[^;]+; Max-Age=43200; Path=\/ui; Expires=[^;]+; HttpOnly; SameSite=Strict$/,
    );
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
    expect(Math.abs(expires - (Date.now() + TWELVE_HOURS * 1000))).toBeLessThan(60_000);

    expect((await post({ Origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({})).status).toBe(403);

    const context = await browser.context();
    await signIn(context, testAdminKey);
    const [session] = await context.cookies();
    expect(session).toMatchObject({ name: 'longshore_console', httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(Math.abs(session!.expires - (Date.now() / 1000 + TWELVE_HOURS))).toBeLessThan(60);
    await context.close();
  });

  it('ends a session when its key is removed: the next page load is signed out', async () => {
    const context = await browser.context();
    const page = await signIn(context, revokedKey);
    expect(await shownText(page.locator('.viewer'))).toContain(`Signed in as ${revokedKey.accessKeyId}`);
    await keysFile([teamOnlyKey]);
    // The API re-reads the credentials file when it changes; wait until the removed key is refused there.
    const removed = ecrClient(longshore.endpoint, 1, revokedKey);
    await expect
      .poll(
        () =>
          removed.send(new DescribeRepositoriesCommand({})).then(
            () => 'allowed',
            (err: Error) => err.name,
          ),
        { timeout: 30_000, interval: 200 },
      )
      .toBe('UnrecognizedClientException');
    await page.reload();
    expect(await shownText(page.locator('.viewer'))).toContain('Not signed in');
    expect(await shownText(page.getByRole('status').first())).toContain('Your session has ended');
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual(['public/base']);
    await context.close();
  });
});

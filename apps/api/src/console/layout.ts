import { html, type SafeHtml } from './html.js';

/** Who is looking at the console, as the page header says it. */
export type ConsoleViewer =
  | { mode: 'signed-in'; accessKeyId: string }
  | { mode: 'anonymous' }
  /** AUTH=off: everyone sees everything. */
  | { mode: 'auth-off' };

export interface PageParts {
  title: string;
  viewer: ConsoleViewer;
  body: SafeHtml;
  /** The navigation entry of this page. */
  section?: 'repositories' | 'operations';
  /** Reload the page by itself every so many seconds (the Operations page). */
  refreshSeconds?: number;
  /** A notice above the content (a session that ended, say). */
  notice?: string;
}

/** The console's asset, served by the console router (built into dist by `npm run build`). */
export const CSS_PATH = '/ui/assets/console.css';

function viewerBar(viewer: ConsoleViewer): SafeHtml {
  switch (viewer.mode) {
    case 'auth-off':
      return html`<span class="who">Authentication is off (AUTH=off)</span>`;
    case 'anonymous':
      return html`<span class="who">Not signed in</span> <a class="button" href="/ui/sign-in">Sign in</a>`;
    case 'signed-in':
      return html`<span class="who">Signed in as <strong>${viewer.accessKeyId}</strong></span>
        <form method="post" action="/ui/sign-out" class="inline"><button type="submit">Sign out</button></form>`;
  }
}

/** A whole console page: header, navigation, the AUTH=off banner, content. */
export function page(parts: PageParts): string {
  const current = (section: PageParts['section']) => (parts.section === section ? 'page' : undefined);
  const navLink = (section: NonNullable<PageParts['section']>, href: string, label: string) =>
    html`<a href="${href}"${current(section) ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${parts.refreshSeconds ? html`<meta http-equiv="refresh" content="${parts.refreshSeconds}">` : ''}
<title>${parts.title} · Longshore</title>
<link rel="stylesheet" href="${CSS_PATH}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/ui/">Longshore</a>
  <nav aria-label="Console">${navLink('repositories', '/ui/', 'Repositories')} ${navLink('operations', '/ui/operations', 'Operations')}</nav>
  <div class="viewer">${viewerBar(parts.viewer)}</div>
</header>
${
  parts.viewer.mode === 'auth-off'
    ? html`<p class="banner" role="status">Authentication is off (AUTH=off): this console and the whole registry are open to anyone who can reach them. Never expose this service.</p>`
    : ''
}
<main id="main">
${parts.notice ? html`<p class="notice" role="status">${parts.notice}</p>` : ''}
${parts.body}
</main>
</body>
</html>
`.markup;
}

import type { ImageRowPage } from '../overview/image-overview.js';
import type { RepositoryDetail } from '../overview/repository-overview.js';
import { formatBytes, formatTime, shortDigest } from './format.js';
import { html, type SafeHtml } from './html.js';

export interface RepositoryView {
  detail: RepositoryDetail;
  images: ImageRowPage;
  /** Where this page of images starts (undefined: the first page). */
  nextToken?: string;
  /** Whether the viewer may read the lifecycle policy (ecr:GetLifecyclePolicy). */
  showLifecycle: boolean;
  /** `host[:port]` of the registry, for pull commands. */
  registryHost: string;
}

export function repositoryHref(name: string): string {
  return `/ui/repository?${new URLSearchParams({ name })}`;
}

export function imageHref(repository: string, digest: string): string {
  return `/ui/image?${new URLSearchParams({ repository, digest })}`;
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function lifecycleSection(view: RepositoryView): SafeHtml {
  const { detail } = view;
  if (!view.showLifecycle) return html``;
  const preview = detail.preview;
  return html`<section aria-labelledby="lifecycle">
<h2 id="lifecycle">Lifecycle policy</h2>
${
  detail.lifecyclePolicyText === undefined
    ? html`<p class="empty">No lifecycle policy.</p>`
    : html`<p>Last applied: ${formatTime(detail.lifecycleEvaluatedAt)}</p><pre class="code" tabindex="0">${pretty(detail.lifecyclePolicyText)}</pre>`
}
${
  preview
    ? html`<h3>Latest preview (${preview.status})</h3>
${
  preview.results.length === 0
    ? html`<p class="empty">The preview expires no image.</p>`
    : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Image</th><th scope="col">Tags</th><th scope="col">Pushed at</th><th scope="col" class="num">Rule</th></tr></thead>
<tbody>${preview.results.map(
        (
          r,
        ) => html`<tr><td><a class="digest" href="${imageHref(detail.record.repositoryName, r.imageDigest)}">${shortDigest(r.imageDigest)}</a></td>
<td>${r.imageTags.join(', ') || '—'}</td><td>${formatTime(r.imagePushedAt)}</td><td class="num">${r.appliedRulePriority}</td></tr>`,
      )}</tbody></table></div>`
}`
    : ''
}
</section>`;
}

/** One repository: its settings, its images a page at a time, its lifecycle policy and preview. */
export function repositoryBody(view: RepositoryView): SafeHtml {
  const { record, summary } = view.detail;
  const name = record.repositoryName;
  const next = view.images.nextToken;
  return html`<nav aria-label="Breadcrumb" class="crumbs"><a href="/ui/">Repositories</a> / <span>${name}</span></nav>
<h1>${name}</h1>
<dl class="facts">
  <div><dt>Images</dt><dd>${summary.imageCount}</dd></div>
  <div><dt>Total size</dt><dd>${summary.totalSizeAtLeast ? '≥ ' : ''}${formatBytes(summary.totalSize)}</dd></div>
  <div><dt>Last push</dt><dd>${formatTime(summary.lastPushedAt)}</dd></div>
  <div><dt>Tag mutability</dt><dd>${record.imageTagMutability}</dd></div>
  <div><dt>Encryption</dt><dd>${record.encryptionConfiguration.encryptionType}</dd></div>
  <div><dt>Created</dt><dd>${formatTime(record.createdAt)}</dd></div>
</dl>
<p>Pull: <code class="copy">docker pull ${view.registryHost}/${name}:&lt;tag&gt;</code></p>
<section aria-labelledby="images">
<h2 id="images">Images</h2>
${
  view.images.images.length === 0
    ? html`<p class="empty">No images${view.nextToken ? ' on this page' : ''}.</p>`
    : html`<div class="table-wrap"><table class="images">
<caption>Images in digest order, as DescribeImages lists them.</caption>
<thead><tr><th scope="col">Tags</th><th scope="col">Digest</th><th scope="col" class="num">Size</th><th scope="col">Pushed at</th><th scope="col">Last pulled</th><th scope="col">Media type</th><th scope="col">Platforms</th></tr></thead>
<tbody>${view.images.images.map(
        (image) => html`<tr>
<td>${image.imageTags?.length ? image.imageTags.map((t) => html`<span class="tag">${t}</span> `) : html`<span class="muted">untagged</span>`}</td>
<td><a class="digest" href="${imageHref(name, image.imageDigest)}">${shortDigest(image.imageDigest)}</a></td>
<td class="num">${formatBytes(image.imageSizeInBytes)}</td>
<td>${formatTime(image.imagePushedAt * 1000)}</td>
<td>${formatTime(image.lastPulledAt)}</td>
<td class="media">${image.imageManifestMediaType}</td>
<td>${image.platforms?.join(', ') ?? '—'}</td>
</tr>`,
      )}</tbody></table></div>`
}
<nav class="pager" aria-label="Pages of images">
${view.nextToken !== undefined ? html`<a href="${repositoryHref(name)}">First page</a>` : ''}
${next ? html`<a rel="next" href="${`${repositoryHref(name)}&${new URLSearchParams({ next })}`}">Next page</a>` : ''}
</nav>
</section>
${lifecycleSection(view)}`;
}

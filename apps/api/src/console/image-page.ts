import type { ImageDetail } from '../overview/image-overview.js';
import { formatBytes, formatTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { imageHref, repositoryHref } from './repository-page.js';

/** One image: pull commands, tags, platforms or layers, referrers, the manifest and config. */
export function imageBody(image: ImageDetail, registryHost: string): SafeHtml {
  const { record, repositoryName } = image;
  const pulls = [
    `docker pull ${registryHost}/${repositoryName}@${record.digest}`,
    ...image.tags.map((tag) => `docker pull ${registryHost}/${repositoryName}:${tag}`),
  ];
  const layerTotal = image.layers.reduce((sum, layer) => sum + layer.size, 0);
  return html`<nav aria-label="Breadcrumb" class="crumbs"><a href="/ui/">Repositories</a> / <a href="${repositoryHref(repositoryName)}">${repositoryName}</a> / <span>${record.digest.slice(0, 19)}</span></nav>
<h1>${repositoryName}@<span class="digest">${record.digest}</span></h1>
<dl class="facts">
  <div><dt>Tags</dt><dd>${image.tags.length ? image.tags.join(', ') : 'untagged'}</dd></div>
  <div><dt>Size</dt><dd>${formatBytes(record.imageSizeInBytes)}</dd></div>
  <div><dt>Pushed at</dt><dd>${formatTime(record.pushedAt)}</dd></div>
  <div><dt>Last pulled</dt><dd>${formatTime(image.lastPulledAt)}</dd></div>
  <div><dt>Media type</dt><dd class="media">${record.mediaType}</dd></div>
  ${record.artifactType ? html`<div><dt>Artifact type</dt><dd class="media">${record.artifactType}</dd></div>` : ''}
  ${record.subject ? html`<div><dt>Refers to</dt><dd><a class="digest" href="${imageHref(repositoryName, record.subject)}">${record.subject}</a></dd></div>` : ''}
</dl>
<section aria-labelledby="pull">
<h2 id="pull">Pull commands</h2>
<ul class="commands">${pulls.map((command) => html`<li><code class="copy">${command}</code></li>`)}</ul>
</section>
${
  image.platforms.length > 0
    ? html`<section aria-labelledby="platforms"><h2 id="platforms">Platforms</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Platform</th><th scope="col">Manifest</th><th scope="col" class="num">Size</th></tr></thead>
<tbody>${image.platforms.map(
        (p) =>
          html`<tr><td>${p.platform ?? 'unknown'}</td><td><a class="digest" href="${imageHref(repositoryName, p.digest)}">${p.digest}</a></td><td class="num">${formatBytes(p.size)}</td></tr>`,
      )}</tbody></table></div></section>`
    : ''
}
${
  image.layers.length > 0
    ? html`<section aria-labelledby="layers"><h2 id="layers">Layers</h2>
<div class="table-wrap"><table class="layers"><caption>${image.layers.length} layers, ${formatBytes(layerTotal)} in all</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">Digest</th><th scope="col" class="num">Size</th><th scope="col">Media type</th></tr></thead>
<tbody>${image.layers.map(
        (layer, i) =>
          html`<tr><td class="num">${i + 1}</td><td class="digest">${layer.digest}</td><td class="num">${formatBytes(layer.size)}</td><td class="media">${layer.mediaType}</td></tr>`,
      )}</tbody></table></div></section>`
    : ''
}
<section aria-labelledby="referrers"><h2 id="referrers">Referrers</h2>
${
  image.referrers.length === 0
    ? html`<p class="empty">No signatures, SBOMs or other artifacts refer to this image.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">Artifact type</th><th scope="col">Manifest</th><th scope="col">Pushed at</th></tr></thead>
<tbody>${image.referrers.map(
        (r) =>
          html`<tr><td class="media">${r.artifactType ?? r.configMediaType ?? r.mediaType}</td><td><a class="digest" href="${imageHref(repositoryName, r.digest)}">${r.digest}</a></td><td>${formatTime(r.pushedAt)}</td></tr>`,
      )}</tbody></table></div>`
}
</section>
${
  image.config
    ? html`<section aria-labelledby="config"><h2 id="config">Config</h2>
<p><span class="digest">${image.config.digest}</span> · ${formatBytes(image.config.size)} · <span class="media">${image.config.mediaType}</span></p>
${image.configJson !== undefined ? html`<pre class="code" tabindex="0">${image.configJson}</pre>` : html`<p class="empty">Not shown (too large or not stored here).</p>`}
</section>`
    : ''
}
<section aria-labelledby="manifest"><h2 id="manifest">Manifest</h2>
<pre class="code" tabindex="0">${image.manifest}</pre>
</section>`;
}

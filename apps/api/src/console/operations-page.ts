import type { OperationsSnapshot, ProcessRow, UploadRow } from '../overview/operations-overview.js';
import { formatBytes, formatTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { repositoryHref } from './repository-page.js';

/** How often the Operations page reloads itself. */
export const OPERATIONS_REFRESH_SECONDS = 5;

function uploadTable(caption: string, rows: UploadRow[], withError: boolean): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">None.</p>`;
  return html`<div class="table-wrap"><table class="uploads"><caption>${caption}</caption>
<thead><tr><th scope="col">Upload</th><th scope="col">Repository</th><th scope="col">Status</th><th scope="col" class="num">Received</th><th scope="col" class="num">Parts</th><th scope="col">Started</th><th scope="col">Last change</th>${withError ? html`<th scope="col">Error</th>` : ''}</tr></thead>
<tbody>${rows.map(
    (
      u,
    ) => html`<tr><td class="digest">${u.uploadId}</td><td><a href="${repositoryHref(u.repositoryName)}">${u.repositoryName}</a></td>
<td>${u.status}</td><td class="num">${formatBytes(u.bytesReceived)}</td><td class="num">${u.partsReceived}</td>
<td>${formatTime(u.createdAt)}</td><td>${formatTime(u.updatedAt)}</td>${
      withError ? html`<td>${u.error ? html`<strong>${u.error.name}</strong>: ${u.error.message}` : '—'}</td>` : ''
    }</tr>`,
  )}</tbody></table></div>`;
}

function processTable(caption: string, rows: ProcessRow[], seen: string): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">None seen.</p>`;
  return html`<div class="table-wrap"><table><caption>${caption}</caption>
<thead><tr><th scope="col">Process</th><th scope="col">State</th><th scope="col">${seen}</th></tr></thead>
<tbody>${rows.map(
    (p) =>
      html`<tr><td class="digest">${p.id}</td><td>${p.alive ? 'alive' : 'gone'}</td><td>${formatTime(p.lastSeen)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The service at work: uploads, the finalize queue, garbage collection, processes. */
export function operationsBody(snapshot: OperationsSnapshot): SafeHtml {
  const q = snapshot.finalizeQueue;
  const rate = snapshot.finalizedLastMinute;
  const gc = snapshot.lastGc;
  return html`<h1>Operations</h1>
<p class="muted">As of ${formatTime(snapshot.at)}; this page refreshes every ${OPERATIONS_REFRESH_SECONDS} seconds.</p>
<section aria-labelledby="queue"><h2 id="queue">Finalize queue</h2>
<dl class="facts">
  <div><dt>Waiting</dt><dd id="queue-waiting">${q.waiting + q.prioritized}</dd></div>
  <div><dt>Active</dt><dd>${q.active}</dd></div>
  <div><dt>Delayed (retrying)</dt><dd>${q.delayed}</dd></div>
  <div><dt>Failed (kept 24 h)</dt><dd>${q.failed}</dd></div>
  <div><dt>Finalized in the last minute</dt><dd>${rate.atLeast ? '≥ ' : ''}${rate.completed}</dd></div>
  <div><dt>Failed in the last minute</dt><dd>${rate.failed}</dd></div>
</dl>
</section>
<section aria-labelledby="in-flight"><h2 id="in-flight">Uploads in flight</h2>
${uploadTable('Uploads not finished yet, most recent change first', snapshot.uploadsInFlight, false)}
</section>
<section aria-labelledby="failed"><h2 id="failed">Recently failed uploads</h2>
${uploadTable('Failed uploads whose status is still kept, most recent first', snapshot.uploadsFailed, true)}
</section>
<section aria-labelledby="gc"><h2 id="gc">Garbage collection</h2>
${
  gc
    ? html`<dl class="facts"><div><dt>Last run</dt><dd>${formatTime(gc.finishedAt)}</dd></div>
<div><dt>Blobs deleted</dt><dd>${gc.deleted}</dd></div><div><dt>Bytes reclaimed</dt><dd>${formatBytes(gc.bytes)}</dd></div>
<div><dt>Waiting out the grace period</dt><dd>${gc.waiting}</dd></div>${gc.failed ? html`<div><dt>Failed</dt><dd>${gc.failed}</dd></div>` : ''}</dl>`
    : html`<p class="empty">No garbage collection has run recently (GC_INTERVAL_MS, or <code>longshore gc run</code>).</p>`
}
</section>
<section aria-labelledby="processes"><h2 id="processes">Processes</h2>
${processTable('Workers, by their heartbeats', snapshot.workers, 'Last heartbeat')}
${processTable('API processes, by their heartbeats', snapshot.apis, 'Last heartbeat')}
</section>`;
}

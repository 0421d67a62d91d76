import type { RepositorySummary, RepositorySummaryPage } from '../overview/repository-overview.js';
import { formatBytes, formatTime } from './format.js';
import { html, type SafeHtml } from './html.js';

/** The columns the repository list sorts by. */
export const REPOSITORY_SORTS = ['name', 'images', 'size', 'pushed', 'mutability', 'lifecycle'] as const;
export type RepositorySort = (typeof REPOSITORY_SORTS)[number];

export interface RepositoryListView {
  page: RepositorySummaryPage;
  filter: string;
  sort: RepositorySort;
  descending: boolean;
  /** Where this page starts (undefined: the first page). */
  after?: string;
}

const compare: Record<RepositorySort, (a: RepositorySummary, b: RepositorySummary) => number> = {
  name: (a, b) => (a.repositoryName < b.repositoryName ? -1 : a.repositoryName > b.repositoryName ? 1 : 0),
  images: (a, b) => a.imageCount - b.imageCount,
  size: (a, b) => a.totalSize - b.totalSize,
  pushed: (a, b) => (a.lastPushedAt ?? 0) - (b.lastPushedAt ?? 0),
  mutability: (a, b) => a.imageTagMutability.localeCompare(b.imageTagMutability),
  lifecycle: (a, b) => Number(a.hasLifecyclePolicy) - Number(b.hasLifecyclePolicy),
};

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The repository list: a filter by name, a table sortable by every column, and paging in name order. */
export function repositoriesBody(view: RepositoryListView): SafeHtml {
  const rows = [...view.page.repositories].sort((a, b) => {
    const order = compare[view.sort](a, b) || compare.name(a, b);
    return view.descending ? -order : order;
  });
  const header = (sort: RepositorySort, label: string, numeric = false) => {
    const active = view.sort === sort;
    const nextDescending = active ? !view.descending : false;
    const href = `/ui/${query({ filter: view.filter, after: view.after, sort, order: nextDescending ? 'desc' : undefined })}`;
    return html`<th scope="col"${numeric ? html` class="num"` : ''}${
      active ? html` aria-sort="${view.descending ? 'descending' : 'ascending'}"` : ''
    }><a href="${href}">${label}${active ? (view.descending ? ' ▼' : ' ▲') : ''}</a></th>`;
  };
  const next = view.page.nextAfter;
  return html`<h1>Repositories</h1>
<form method="get" action="/ui/" class="filter" role="search">
  <label for="filter">Filter by name</label>
  <input id="filter" name="filter" type="search" value="${view.filter}" placeholder="team-a/">
  ${view.sort !== 'name' ? html`<input type="hidden" name="sort" value="${view.sort}">` : ''}
  ${view.descending ? html`<input type="hidden" name="order" value="desc">` : ''}
  <button type="submit">Filter</button>
</form>
${
  rows.length === 0
    ? html`<p class="empty">No repositories${view.filter ? html` whose name contains “${view.filter}”` : ''} that you may read.</p>`
    : html`<div class="table-wrap"><table class="repositories">
  <caption>Repositories in name order, ${rows.length} on this page; the columns sort this page.</caption>
  <thead><tr>${header('name', 'Name')}${header('images', 'Images', true)}${header('size', 'Total size', true)}${header('pushed', 'Last push')}${header('mutability', 'Tag mutability')}${header('lifecycle', 'Lifecycle policy')}</tr></thead>
  <tbody>
  ${rows.map(
    (r) => html`<tr>
    <th scope="row"><a href="/ui/repository${query({ name: r.repositoryName })}">${r.repositoryName}</a></th>
    <td class="num">${r.imageCount}</td>
    <td class="num">${r.totalSizeAtLeast ? '≥ ' : ''}${formatBytes(r.totalSize)}</td>
    <td>${formatTime(r.lastPushedAt)}</td>
    <td>${r.imageTagMutability}</td>
    <td>${r.hasLifecyclePolicy ? 'yes' : 'no'}</td>
  </tr>`,
  )}
  </tbody>
</table></div>`
}
<nav class="pager" aria-label="Pages">
${view.after !== undefined ? html`<a href="/ui/${query({ filter: view.filter, sort: view.sort === 'name' ? undefined : view.sort, order: view.descending ? 'desc' : undefined })}">First page</a>` : ''}
${next !== undefined ? html`<a rel="next" href="/ui/${query({ filter: view.filter, after: next, sort: view.sort === 'name' ? undefined : view.sort, order: view.descending ? 'desc' : undefined })}">Next page</a>` : ''}
</nav>`;
}

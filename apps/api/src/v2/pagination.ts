import type { Request, Response } from 'express';
import { UnsupportedOperationError } from '@longshore/domain';

/** `?n=` and `?last=` of a /v2 listing (tags, catalog). */
export function pageOf(req: Request): { n?: number; last?: string } {
  const { n, last } = req.query;
  const page: { n?: number; last?: string } = {};
  if (n !== undefined) {
    if (typeof n !== 'string' || !/^\d{1,6}$/.test(n)) {
      throw new UnsupportedOperationError(`Invalid n '${String(n).slice(0, 20)}': expected a count`);
    }
    page.n = Number(n);
  }
  if (last !== undefined) {
    if (typeof last !== 'string') throw new UnsupportedOperationError('Invalid last: expected one value');
    page.last = last;
  }
  return page;
}

/** The RFC 5988 `Link` to the next page, when `next` says one follows. */
export function setNextLink(res: Response, path: string, n: number | undefined, next: string | undefined): void {
  if (next === undefined) return;
  const query = new URLSearchParams({ ...(n !== undefined ? { n: String(n) } : {}), last: next });
  res.setHeader('Link', `<${path}?${query.toString()}>; rel="next"`);
}

import fc from 'fast-check';
import type { FuzzRequest } from './fuzz-request.js';
import { pathSegment, printable } from './text-arbitraries.js';

/** A real layer's signed download URL (path and query), and its size. */
export interface SignedLayer {
  path: string;
  size: number;
}

/**
 * Requests to the download URLs: a signature or expiry tampered with, another digest under a
 * valid signature, a Range past the end of a real layer.
 */
export function downloadRequests(layer: SignedLayer): fc.Arbitrary<FuzzRequest> {
  const url = new URL(layer.path, 'http://x');
  const tampered = fc
    .tuple(fc.constantFrom('repositoryName', 'expires', 'signature', 'junk'), printable(40))
    .filter(([name, value]) => url.searchParams.get(name) !== value)
    .map(([name, value]) => {
      const query = new URLSearchParams(url.search);
      query.set(name, value);
      if (name === 'junk') query.delete('signature');
      return `${url.pathname}?${query}`;
    });
  const otherDigest = fc
    .oneof(
      fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`),
      pathSegment.filter((s) => s !== ''),
    )
    .map((digest) => `/downloads/${encodeURIComponent(digest)}${url.search}`);
  const pastTheEnd = fc
    .tuple(fc.integer({ min: layer.size, max: layer.size + 1_000_000 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([start, length]) => `bytes=${start}-${length === undefined ? '' : start + length}`);

  return fc.oneof(
    fc.tuple(fc.oneof(tampered, otherDigest), fc.option(printable(30), { nil: undefined })).map(
      ([path, range]): FuzzRequest => ({
        door: 'downloads',
        method: 'GET',
        path,
        headers: range === undefined ? {} : { range },
        fault: 'bad signature or digest',
      }),
    ),
    pastTheEnd.map(
      (range): FuzzRequest => ({
        door: 'downloads',
        method: 'GET',
        path: layer.path,
        headers: { range },
        fault: 'range past the end',
      }),
    ),
  );
}

import { SizeInvalidError } from '@longshore/domain';

/**
 * The `Content-Range` of an OCI chunk: `<first>-<last>` inclusive, as the spec writes it, or
 * the HTTP form `bytes <first>-<last>/<total or *>` some clients send (a total must hold the
 * range). Not the `Range` request syntax (`bytes=`). Undefined when absent.
 */
export function parseChunkRange(header: string | undefined): { first: number; last: number } | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  const match =
    /^(\d{1,15})-(\d{1,15})$/.exec(trimmed) ?? /^bytes (\d{1,15})-(\d{1,15})(?:\/(\*|\d{1,15}))?$/.exec(trimmed);
  if (!match) throw new SizeInvalidError(`Invalid Content-Range '${header.slice(0, 100)}': expected '<first>-<last>'`);
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (last < first) throw new SizeInvalidError(`Invalid Content-Range '${header}': the last byte is before the first`);
  if (match[3] !== undefined && match[3] !== '*' && last >= Number(match[3])) {
    throw new SizeInvalidError(
      `Invalid Content-Range '${header.slice(0, 100)}': the range ends beyond its total length`,
    );
  }
  return { first, last };
}

/** A request's `Content-Length`, when it declares one. */
export function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (!/^\d{1,15}$/.test(header.trim())) throw new SizeInvalidError(`Invalid Content-Length '${header.slice(0, 40)}'`);
  return Number(header);
}

/** The `Range` header of an upload's progress: `0-<last byte received>` (`0-0` before any byte, as distribution answers). */
export function progressRange(bytesReceived: number): string {
  return `0-${Math.max(bytesReceived - 1, 0)}`;
}

import { RequestValidationError } from '@longshore/domain';

/** `Content-Range: bytes <first>-<last>/*` (or `/<total>`) of a raw part upload, inclusive. */
export function parseContentRange(header: string | undefined): { first: number; last: number } {
  const match = header ? /^bytes (\d{1,15})-(\d{1,15})\/(\*|\d{1,15})$/.exec(header.trim()) : null;
  if (!match) {
    throw new RequestValidationError(
      "Invalid parameter at 'Content-Range': expected 'bytes <first>-<last>/*'",
      'Content-Range',
    );
  }
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (last < first) {
    throw new RequestValidationError(
      "Invalid parameter at 'Content-Range': last byte before first byte",
      'Content-Range',
    );
  }
  if (match[3] !== '*' && last >= Number(match[3])) {
    throw new RequestValidationError(
      "Invalid parameter at 'Content-Range': the range ends beyond its total length",
      'Content-Range',
    );
  }
  return { first, last };
}

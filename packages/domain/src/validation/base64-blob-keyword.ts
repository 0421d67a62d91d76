import type { ErrorObject, FuncKeywordDefinition } from 'ajv';

/**
 * The `base64Blob` JSON-Schema keyword: a blob member of the ECR model travels as a base64
 * string (AWS JSON 1.1), and its `min`/`max` bound the DECODED length. The keyword checks the
 * size from the string's length before decoding (an oversized part is never decoded), then
 * decodes, and replaces the string by the decoded `Buffer` in the data, so a 20 MiB part is
 * decoded once. It therefore modifies what it validates: `validateShape` only ever runs it on
 * its own copy of the request, never on the caller's object.
 */

export const base64BlobKeyword = 'base64Blob';

/** The keyword's value: bounds of the decoded length in bytes. */
export interface Base64BlobLimits {
  minBytes?: number;
  maxBytes?: number;
}

/** Params of the keyword's errors: which rule failed. */
export type Base64BlobErrorParams =
  | { reason: 'base64' }
  | { reason: 'size'; comparison: '>=' | '<='; limit: number; bytes: number };

/**
 * The decoded length of canonical, padded base64 (what the AWS SDKs send), or undefined when
 * the length or padding cannot be base64. Characters are checked after decoding.
 */
export function decodedBase64Length(text: string): number | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  while (padding < 3 && text.charCodeAt(text.length - 1 - padding) === 0x3d /* = */) padding += 1;
  if (padding > 2) return undefined;
  return (text.length / 4) * 3 - padding;
}

/**
 * Decodes canonical base64, or returns undefined for anything else. Node's decoder skips
 * characters outside the alphabet (and stops at an early `=`), so any such character leaves
 * the result shorter than the length the text announces; it also accepts the URL-safe `-` and
 * `_`, which standard base64 does not. Cheaper than a character scan on a 28 MB string.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const expected = decodedBase64Length(text);
  if (expected === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== expected || text.includes('-') || text.includes('_')) return undefined;
  return bytes;
}

/** The part of ajv's data context a modifying keyword uses. */
interface ParentDataContext {
  parentData: Record<string | number, unknown>;
  parentDataProperty: string | number;
}

function blobError(params: Base64BlobErrorParams, message: string): Partial<ErrorObject> {
  return { keyword: base64BlobKeyword, params, message };
}

function validateBase64Blob(
  limits: Base64BlobLimits,
  data: string,
  _parentSchema?: unknown,
  dataCxt?: ParentDataContext,
): boolean {
  const length = decodedBase64Length(data);
  if (length === undefined) {
    validateBase64Blob.errors = [blobError({ reason: 'base64' }, 'must be valid base64')];
    return false;
  }
  if (limits.maxBytes !== undefined && length > limits.maxBytes) {
    validateBase64Blob.errors = [
      blobError(
        { reason: 'size', comparison: '<=', limit: limits.maxBytes, bytes: length },
        `must decode to at most ${limits.maxBytes} bytes`,
      ),
    ];
    return false;
  }
  if (limits.minBytes !== undefined && length < limits.minBytes) {
    validateBase64Blob.errors = [
      blobError(
        { reason: 'size', comparison: '>=', limit: limits.minBytes, bytes: length },
        `must decode to at least ${limits.minBytes} bytes`,
      ),
    ];
    return false;
  }
  const decoded = decodeBase64(data);
  if (!decoded) {
    validateBase64Blob.errors = [blobError({ reason: 'base64' }, 'must be valid base64')];
    return false;
  }
  if (dataCxt) dataCxt.parentData[dataCxt.parentDataProperty] = decoded;
  return true;
}
validateBase64Blob.errors = undefined as Partial<ErrorObject>[] | undefined;

/** The ajv definition of the `base64Blob` keyword (applies to strings only). */
export const base64BlobKeywordDefinition: FuncKeywordDefinition = {
  keyword: base64BlobKeyword,
  type: 'string',
  schemaType: 'object',
  modifying: true,
  errors: true,
  validate: validateBase64Blob,
};

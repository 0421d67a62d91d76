/** The S3 error names (and HTTP statuses) the driver treats by meaning. */
interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): S3ErrorShape {
  return typeof error === 'object' && error !== null ? (error as S3ErrorShape) : {};
}

/** The object (or the bucket's key) does not exist: GetObject's NoSuchKey, HeadObject's bare 404. */
export function isNoSuchKey(error: unknown): boolean {
  const { name, Code, $metadata } = shape(error);
  return name === 'NoSuchKey' || Code === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}

/** The multipart upload was completed or aborted (or never existed). */
export function isNoSuchUpload(error: unknown): boolean {
  const { name, Code } = shape(error);
  return name === 'NoSuchUpload' || Code === 'NoSuchUpload';
}

/** The requested range starts past the end of the object. */
export function isInvalidRange(error: unknown): boolean {
  const { name, Code, $metadata } = shape(error);
  return name === 'InvalidRange' || Code === 'InvalidRange' || $metadata?.httpStatusCode === 416;
}

/** Codes with which S3 and S3-compatible stores ask a client to slow down. */
const THROTTLING_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
]);

/** The store asks to slow down: SlowDown and its kin, or a bare 503 or 429 (a HEAD has no body). */
export function isThrottling(error: unknown): boolean {
  const { name, Code, $metadata } = shape(error);
  const status = $metadata?.httpStatusCode;
  return THROTTLING_CODES.has(name ?? '') || THROTTLING_CODES.has(Code ?? '') || status === 503 || status === 429;
}

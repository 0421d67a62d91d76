/**
 * One generated request for the fuzz test, and the error form its door must answer in. A door
 * (ECR JSON, /v1, downloads, /v2) contributes a generator of requests that are wrong by
 * construction (see the `*-requests.ts` files) and a check of its wire's error form
 * (`wireErrorChecks`); the fuzz test draws from every door in `doorGenerators`.
 */
export type Door = 'ecr' | 'v1' | 'downloads' | 'v2';

export interface FuzzRequest {
  door: Door;
  method: string;
  /** Path and query under the endpoint. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * A Host header to send instead of the endpoint's own (fetch cannot send one, so such a
   * request goes out through node:http).
   */
  host?: string;
  /** What was broken on purpose, to read a failure report. */
  fault: string;
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** Undefined when the answer is a 4xx in the door's error form; else what is wrong with it. */
export type WireErrorCheck = (answer: FuzzAnswer, request: FuzzRequest) => string | undefined;

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isClientError = (status: number) => status >= 400 && status < 500;

/** AWS JSON 1.1: `{"__type": Name, "message": ...}` and the same name in `x-amzn-ErrorType`. */
export const ecrErrorForm: WireErrorCheck = (answer) => {
  if (!isClientError(answer.status)) return `status ${answer.status}`;
  const body = json(answer.text) as { __type?: unknown; message?: unknown } | undefined;
  if (typeof body?.__type !== 'string' || body.__type === '') return 'no __type';
  if (typeof body.message !== 'string') return 'no message';
  if (answer.headers['x-amzn-errortype'] !== body.__type) return 'x-amzn-ErrorType differs from __type';
  return undefined;
};

/** Longshore's envelope: `{"success": false, "error": {"code", "message"}}`. */
export const envelopeErrorForm: WireErrorCheck = (answer) => {
  if (!isClientError(answer.status)) return `status ${answer.status}`;
  const body = json(answer.text) as { success?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
  if (body?.success !== false) return 'no success: false';
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') return 'no error code/message';
  return undefined;
};

/** Downloads: the envelope, or a bare 416 naming the layer's size (HTTP's own form for a bad Range). */
export const downloadErrorForm: WireErrorCheck = (answer, request) => {
  if (answer.status === 416) {
    return /^bytes \*\/\d+$/.test(answer.headers['content-range'] ?? '') ? undefined : '416 without Content-Range';
  }
  return envelopeErrorForm(answer, request);
};

/**
 * OCI Distribution: `{"errors": [{"code", "message", "detail"?}]}`; a HEAD answer has no body, so
 * only its status counts.
 */
export const ociErrorForm: WireErrorCheck = (answer, request) => {
  if (!isClientError(answer.status)) return `status ${answer.status}`;
  if (request.method === 'HEAD') return answer.text === '' ? undefined : 'a body on HEAD';
  const body = json(answer.text) as { errors?: { code?: unknown; message?: unknown }[] } | undefined;
  const first = body?.errors?.[0];
  if (!first) return 'no errors[]';
  if (typeof first.code !== 'string' || typeof first.message !== 'string') return 'no error code/message';
  return undefined;
};

export const wireErrorChecks: Record<Door, WireErrorCheck> = {
  ecr: ecrErrorForm,
  v1: envelopeErrorForm,
  downloads: downloadErrorForm,
  v2: ociErrorForm,
};

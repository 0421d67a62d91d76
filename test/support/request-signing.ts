import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The admin key every test service is started with (the harness's SDK client signs with it). */
export const testAdminKey: TestCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

export interface SigningOptions {
  /** Sign as if at this time (to test clock skew). */
  signingDate?: Date;
  region?: string;
  service?: string;
}

/**
 * Signs a raw request with SigV4 exactly as the AWS SDK would (its own signer): the headers it
 * adds are returned merged into a copy of `init`. The body must be a string or bytes.
 */
export async function signRequest(
  url: URL,
  init: RequestInit,
  credentials: TestCredentials,
  options: SigningOptions = {},
): Promise<RequestInit> {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new Error('signRequest: the body must be a string or bytes to be signed');
  }
  const signer = new SignatureV4({
    service: options.service ?? 'ecr',
    region: options.region ?? 'us-east-1',
    credentials,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, name) => {
    query[name] = value;
  });
  const signed = await signer.sign(
    {
      method: init.method ?? 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body: body ?? undefined,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const { host: _host, ...sent } = signed.headers as Record<string, string>;
  return { ...init, headers: sent };
}

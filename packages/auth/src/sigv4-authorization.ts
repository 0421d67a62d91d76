import { InvalidSignatureException } from '@longshore/domain';

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** yyyymmdd of the credential scope */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** Parses the header; a malformed one is an InvalidSignatureException naming what is wrong. */
export function parseSigV4Authorization(header: string): SigV4Authorization {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new InvalidSignatureException(
      `Unsupported signing algorithm '${algorithm.slice(0, 32)}'; use ${SIGV4_ALGORITHM}`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!fields.get(name)) throw new InvalidSignatureException(`Authorization header requires '${name}' parameter.`);
  }
  const scope = fields.get('Credential')!.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !/^\d{8}$/.test(scope[1]!)) {
    throw new InvalidSignatureException(
      "Credential must have the form '<access key id>/<yyyymmdd>/<region>/<service>/aws4_request'",
    );
  }
  const signature = fields.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) throw new InvalidSignatureException('Signature must be 64 hexadecimal digits');
  return {
    accessKeyId: scope[0]!,
    scopeDate: scope[1]!,
    region: scope[2]!,
    service: scope[3]!,
    signedHeaders: fields
      .get('SignedHeaders')!
      .split(';')
      .map((h) => h.trim().toLowerCase()),
    signature,
  };
}

/** The access key id an Authorization header claims, without validating anything else (for rate limits). */
export function claimedAccessKeyId(header: string | undefined): string | undefined {
  const match = header ? /Credential=([A-Za-z0-9]{1,128})\//.exec(header) : null;
  return match?.[1];
}

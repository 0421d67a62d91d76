import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestCertificates {
  /** The test's own CA, for the client to trust. */
  ca: string;
  /** A server certificate for localhost and 127.0.0.1, signed by that CA (TLS_CERT_FILE). */
  cert: string;
  /** Its key (TLS_KEY_FILE). */
  key: string;
}

/** A CA of the test's own, and a server certificate it signed for localhost and 127.0.0.1, under `dir`. */
export function makeCertificates(dir: string, name: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name} test CA`,
    '-keyout',
    `${name}-ca.key`,
    '-out',
    `${name}-ca.crt`,
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  writeFileSync(path.join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${name}-ca.crt`,
    '-CAkey',
    `${name}-ca.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  );
  return {
    ca: path.join(dir, `${name}-ca.crt`),
    cert: path.join(dir, `${name}.crt`),
    key: path.join(dir, `${name}.key`),
  };
}

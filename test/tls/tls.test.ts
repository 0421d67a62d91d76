import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { writeOciLayout } from '../support/oci-layout.js';
import { requireOsTool } from '../support/os-tools.js';
import { testAdminKey } from '../support/request-signing.js';
import { runProcess } from '../support/run-process.js';
import { makeCertificates } from '../support/test-certificates.js';

/** The subject CN of the certificate the server presents to a new connection (verified against `ca`). */
function presentedName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] },
      () => {
        const name = String(socket.getPeerCertificate().subject?.CN);
        socket.end();
        resolve(name);
      },
    );
    socket.on('error', reject);
  });
}

describe('TLS on the API port (TLS_CERT_FILE / TLS_KEY_FILE)', () => {
  let longshore: Longshore;
  let work: string;
  let first: ReturnType<typeof makeCertificates>;
  let certFile: string;
  let keyFile: string;
  let skopeo: string;
  let port: number;

  beforeAll(async () => {
    skopeo = await requireOsTool('skopeo');
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-tls-'));
    first = makeCertificates(work, 'first');
    // The service reads the pair from paths of their own, which the renewal below replaces.
    certFile = path.join(work, 'tls.crt');
    keyFile = path.join(work, 'tls.key');
    await writeFile(certFile, await readFile(first.cert));
    await writeFile(keyFile, await readFile(first.key));
    longshore = await startLongshore({ env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
    port = longshore.api.port;
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const ecrOverTls = (ca: Buffer) =>
    new ECRClient({
      endpoint: `https://localhost:${port}`,
      region: 'us-east-1',
      credentials: testAdminKey,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) }),
    });

  it('serves HTTP/1.1 over TLS: the SDK and skopeo verify the certificate against the test CA and push and pull', {
    timeout: 120_000,
  }, async () => {
    const ca = await readFile(first.ca);
    const ecr = ecrOverTls(ca);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'tls/app' }));
    const auth = await ecr.send(new GetAuthorizationTokenCommand({}));
    const token = Buffer.from(auth.authorizationData![0]!.authorizationToken!, 'base64')
      .toString()
      .slice('AWS:'.length);

    // skopeo's --cert-dir: the CA that signed the registry's certificate, as docker's certs.d holds it.
    const certDir = path.join(work, 'certs.d');
    await mkdir(certDir, { recursive: true });
    await writeFile(path.join(certDir, 'ca.crt'), ca);
    const policy = path.join(work, 'policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const source = path.join(work, 'image-in');
    await writeOciLayout(source, 'v1', [{ architecture: 'amd64', os: 'linux', layerSizes: [64 * 1024, MiB] }]);
    const env = { HOME: work, TMPDIR: work };
    const copy = (args: string[]) =>
      runProcess(skopeo, ['--policy', policy, '--tmpdir', work, 'copy', '--quiet', ...args], env, {
        timeoutMs: 60_000,
      });

    const pushed = await copy([
      '--dest-tls-verify=true',
      '--dest-cert-dir',
      certDir,
      '--dest-creds',
      `AWS:${token}`,
      `oci:${source}:v1`,
      `docker://localhost:${port}/tls/app:v1`,
    ]);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const pulled = await copy([
      '--src-tls-verify=true',
      '--src-cert-dir',
      certDir,
      '--src-creds',
      `AWS:${token}`,
      `docker://localhost:${port}/tls/app:v1`,
      `oci:${path.join(work, 'image-out')}:v1`,
    ]);
    expect(pulled.code).toBe(0);
    const inDigests = await runProcess(skopeo, ['inspect', '--raw', `oci:${source}:v1`], env);
    const outDigests = await runProcess(skopeo, ['inspect', '--raw', `oci:${path.join(work, 'image-out')}:v1`], env);
    expect(outDigests.stdout).toBe(inDigests.stdout);

    // Verification is real: without the CA, skopeo refuses the certificate.
    const untrusted = await copy([
      '--src-tls-verify=true',
      '--src-creds',
      `AWS:${token}`,
      `docker://localhost:${port}/tls/app:v1`,
      `oci:${path.join(work, 'image-untrusted')}:v1`,
    ]);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/x509|certificate/i);
    // And plain HTTP is not served on the TLS port.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('reloads a renewed certificate without a restart: new connections get the new one', {
    timeout: 60_000,
  }, async () => {
    expect(await presentedName(port, await readFile(first.ca))).toBe('first');
    const second = makeCertificates(work, 'second');
    // A renewal as certbot and cert-manager write it: new files renamed over the old paths.
    await writeFile(`${keyFile}.new`, await readFile(second.key));
    await writeFile(`${certFile}.new`, await readFile(second.cert));
    await rename(`${keyFile}.new`, keyFile);
    await rename(`${certFile}.new`, certFile);
    const secondCa = await readFile(second.ca);
    await expect
      .poll(() => presentedName(port, secondCa).catch(() => 'not yet'), { timeout: 20_000, interval: 200 })
      .toBe('second');
    // The same API process answers, with the new certificate, over the SDK.
    const { authorizationData } = await ecrOverTls(secondCa).send(new GetAuthorizationTokenCommand({}));
    expect(authorizationData).toHaveLength(1);
  });
});

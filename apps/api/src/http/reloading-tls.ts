import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type https from 'node:https';
import type { Logger } from '@longshore/telemetry';

const POLL_MS = 2_000;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The certificate chain and key as read now; throws if they are unreadable or do not match. */
export function readTlsFiles({ certFile, keyFile }: TlsFiles): SecureContextOptions {
  const options = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  createSecureContext(options); // throws on a bad PEM or a key that is not the certificate's
  return options;
}

/**
 * Keeps `server` on the current TLS_CERT_FILE / TLS_KEY_FILE: when either changes (a renewal,
 * written in place or renamed over), new connections get the new pair; open ones keep theirs.
 * A half-written or mismatched pair is logged and the previous one kept until the next change.
 * Returns a function that stops watching.
 */
export function reloadTlsOnChange(server: https.Server, files: TlsFiles, log: Logger): () => void {
  const reload = () => {
    try {
      server.setSecureContext(readTlsFiles(files));
      log.info({ certFile: files.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      log.warn(
        { err, certFile: files.certFile, keyFile: files.keyFile },
        'TLS files changed but cannot be used yet; keeping the previous certificate',
      );
    }
  };
  const onChange = (current: { mtimeMs: number; ino: number }, previous: { mtimeMs: number; ino: number }) => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino) reload();
  };
  watchFile(files.certFile, { interval: POLL_MS, persistent: false }, onChange);
  watchFile(files.keyFile, { interval: POLL_MS, persistent: false }, onChange);
  return () => {
    unwatchFile(files.certFile, onChange);
    unwatchFile(files.keyFile, onChange);
  };
}

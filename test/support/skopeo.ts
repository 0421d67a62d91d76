import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The environment skopeo runs in: PATH only, with HOME and its temporary files in `work`. */
export function skopeoEnv(work: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: work, TMPDIR: work };
}

/**
 * `skopeo copy` from `from` to `to` (`oci:<layout>:<tag>` or `docker://<host>/<repository>:<tag>`),
 * plain HTTP towards registries, with a signature policy that accepts any image (nothing is
 * signed here) written into `work`. `creds.src` / `creds.dest` (`user:password`) log in on the
 * `docker://` side they name; a `docker://` side without them goes anonymously. `extra`: more
 * options, e.g. `--all`.
 */
export async function skopeoCopy(
  skopeo: string,
  work: string,
  from: string,
  to: string,
  creds: { src?: string; dest?: string } = {},
  extra: string[] = [],
): Promise<void> {
  const policy = path.join(work, 'policy.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const login = (side: 'src' | 'dest', reference: string, credentials: string | undefined): string[] => {
    if (!reference.startsWith('docker://')) return [];
    return credentials ? [`--${side}-creds`, credentials] : [`--${side}-no-creds`];
  };
  await run(
    skopeo,
    [
      '--policy',
      policy,
      '--tmpdir',
      work,
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      ...login('src', from, creds.src),
      ...login('dest', to, creds.dest),
      ...extra,
      from,
      to,
    ],
    { env: skopeoEnv(work), maxBuffer: 64 * 1024 * 1024 },
  );
}

import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An external tool some checks need, found by a setting or in the shared directory. */
export interface ExternalTool {
  /** The environment variable that names the executable. */
  setting: string;
  /** Its name under `shared/bin/`, where it is looked for when the setting is unset. */
  sharedName: string;
  /** What it is, for the message when it is absent. */
  what: string;
}

export const ociConformanceTool: ExternalTool = {
  setting: 'OCI_CONFORMANCE_BIN',
  sharedName: 'oci-conformance',
  what: 'the OCI distribution-spec conformance suite (a build of v1.1.1)',
};

export const peerRegistryTool: ExternalTool = {
  setting: 'BENCH_PEER_REGISTRY',
  sharedName: 'registry-3',
  what: 'a CNCF distribution registry binary (v3.0.0), the reference of the bench',
};

export type FoundTool = { path: string; absent?: undefined } | { path?: undefined; absent: string };

const isExecutable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * Finds a tool: the executable its setting names, or, with the setting unset, `shared/bin/<name>`
 * in the project's shared directory (CI keeps `shared/` at `../shared` relative to the repository
 * root; a checkout nested deeper, a git worktree, finds it further up). When it is absent, says
 * so in one sentence that names the setting that provides it.
 */
export async function findTool(tool: ExternalTool, env: NodeJS.ProcessEnv = process.env): Promise<FoundTool> {
  const configured = env[tool.setting];
  if (configured) {
    if (await isExecutable(configured)) return { path: configured };
    return { absent: `${tool.setting}=${configured} is not an executable file; set it to ${tool.what}` };
  }
  const tried: string[] = [];
  for (let dir = path.dirname(repoRoot); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'bin', tool.sharedName);
    tried.push(candidate);
    if (await isExecutable(candidate)) return { path: candidate };
    if (path.dirname(dir) === dir) break;
  }
  return {
    absent: `${tool.sharedName} not found (looked for ${tried[0]} and above); set ${tool.setting} to ${tool.what}`,
  };
}

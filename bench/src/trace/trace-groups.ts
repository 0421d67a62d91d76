/**
 * What `npm run trace` counts apart from the push's own path: the committed list of per-request
 * plumbing (runs for every request, whatever it asks) and of timers (run when idle too). A
 * rule is a source path, or a folder when it ends with `/`.
 */
export const plumbing: readonly { path: string; what: string }[] = [
  { path: 'apps/api/src/auth/', what: 'authentication: the auth gate, SigV4 and login tokens, permissions' },
  { path: 'packages/auth/src/', what: 'access keys, SigV4 verification, login tokens, failed-auth limits' },
  { path: 'apps/api/src/http/', what: 'request logging, Host checks, request facts' },
  { path: 'apps/api/src/audit/', what: 'the audit trail' },
  { path: 'apps/api/src/metrics/', what: 'request metrics' },
  { path: 'packages/domain/src/validation/', what: 'ECR input validation from the AWS model' },
  { path: 'packages/telemetry/src/', what: 'logger and metrics registry' },
  { path: 'apps/api/src/build-api.ts', what: 'closures of the composition root' },
  { path: 'apps/api/src/api-context.ts', what: 'closures of the composition root (what the parts share)' },
  { path: 'apps/api/src/build-services.ts', what: 'closures of the composition root (upload metrics)' },
  { path: 'apps/api/src/errors/', what: 'the one error path every request goes through (timer, log, metrics, answer)' },
];

export const timers: readonly { path: string; what: string }[] = [
  { path: 'apps/worker/src/health/', what: "the worker's heartbeat" },
  { path: 'packages/metadata/src/worker-registry.ts', what: 'where the heartbeat is recorded' },
];

export type TraceGroup = 'push path' | 'per-request plumbing' | 'timers';

export const groupOrder: readonly TraceGroup[] = ['push path', 'per-request plumbing', 'timers'];

function matches(rules: readonly { path: string }[], file: string): boolean {
  return rules.some((rule) => (rule.path.endsWith('/') ? file.startsWith(rule.path) : file === rule.path));
}

export function groupOf(file: string): TraceGroup {
  if (matches(timers, file)) return 'timers';
  if (matches(plumbing, file)) return 'per-request plumbing';
  return 'push path';
}

/** `apps/api/dist/ecr/ecr-router.js` → `apps/api/src/ecr/ecr-router.ts`; undefined outside apps/ and packages/. */
export function sourceOf(builtFile: string): string | undefined {
  const match = /^((?:apps|packages)\/[^/]+)\/dist\/(.+)\.js$/.exec(builtFile);
  return match ? `${match[1]}/src/${match[2]}.ts` : undefined;
}

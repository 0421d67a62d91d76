/**
 * Callbacks go only where the operator allows: a URL is allowed when it starts with one of the
 * configured prefixes (compared on the parsed, normalised URL, so `http://127.0.0.1:9000/` does
 * not let `http://127.0.0.1:90001/` through). An empty allowlist disables callbacks.
 */
export function isCallbackAllowed(url: string, allowlist: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  if (target.username || target.password) return false;
  return allowlist.some((prefix) => {
    let allowed: URL;
    try {
      allowed = new URL(prefix);
    } catch {
      return false;
    }
    return (
      allowed.protocol === target.protocol &&
      allowed.host === target.host &&
      target.pathname.startsWith(allowed.pathname)
    );
  });
}

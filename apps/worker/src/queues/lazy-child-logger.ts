import type { Logger } from '@longshore/telemetry';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const skip = () => undefined;

/**
 * `log.child(bindings)`, made on first use: an upload that logs nothing (a level below the
 * logger's, as in service at `warn`) makes no child. pino's `child` runs the redaction's serializer
 * over the bindings (6.5 % of the worker's allocations per upload; docs/performance.md, lean26).
 * A line logged through it is the child's line, the same as before.
 */
export function lazyChild(log: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const made = () => {
    child ??= log.child(bindings);
    return child;
  };
  return new Proxy(log, {
    get(_target, property) {
      if (child === undefined && typeof property === 'string' && LEVELS.has(property) && !log.isLevelEnabled(property))
        return skip;
      const target = made();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(_target, property, value) {
      return Reflect.set(made(), property, value);
    },
  });
}

import fc from 'fast-check';

/** Printable ASCII (what an HTTP header value may carry, and fetch accepts). */
export const printable = (maxLength = 40) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

/** Any text, multi-byte and control characters included. */
export const anyText = (maxLength = 60) => fc.string({ unit: 'binary', maxLength });

/** A URL path segment, percent-encoded. */
export const pathSegment = fc.string({ maxLength: 30, unit: 'grapheme-ascii' }).map((s) => encodeURIComponent(s));

/** A name no repository of the fuzz run has (they all start with `fuzz/`). */
export const absentRepositoryName = fc
  .stringMatching(/^[a-z0-9]{1,12}(\/[a-z0-9]{1,12}){0,2}$/)
  .map((name) => `absent/${name}`);

/** A repository name the model refuses: outside its pattern, or too long. */
export const invalidRepositoryName = fc.oneof(
  // Each of these characters is outside the pattern wherever it stands.
  fc
    .tuple(printable(20), fc.constantFrom('A', ' ', '//', '..', '@', '\u00e9', '*'), printable(20))
    .map(([a, b, c]) => `${a}${b}${c}`),
  fc.constant('a'.repeat(257)),
  fc.constant(''),
  fc.constantFrom('/leading', 'trailing/', 'double//slash', 'UPPER', '-dash', 'dot.', '_x'),
);

export const uuid = fc.uuid();

/** JSON values that are not objects: the body's own type is wrong. */
export const nonObjectJson = fc.oneof(
  fc.constant('null'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.boolean().map(String),
);

/** Text that does not parse as JSON. */
export const notJson = fc
  .oneof(anyText(80), fc.constantFrom('{', '{"a":', '[1,', "{'a':1}", '{"a":1}}', 'undefined', 'NaN', '\u0000'))
  .filter((text) => {
    if (text.trim() === '') return false; // an empty body is read as {}
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });

/** A value of the wrong JSON type for a string member. */
export const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** A Host header that is not a host. */
export const malformedHost = fc.oneof(
  fc.constantFrom('a b', '[::1', 'evil:99999', 'x@y', 'x/y', 'host:80:80', '[zz::1]', 'h:0', '-bad', 'a..b:', 'evil:'),
  fc
    .tuple(printable(10), fc.constantFrom(' ', '@', '/', '?', '#', '\\', '[', ']', '"'), printable(10))
    .map(([a, b, c]) => `${a}${b}${c}`),
);

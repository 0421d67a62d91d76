import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { nativeBase64Decode, type Base64Decode } from '@longshore/digest';
import { BlobMemberScanner } from './blob-member-scanner.js';

/**
 * The decoders a scanner may have: the native addon (where it was built), and none that takes
 * anything (each chunk then judged and decoded by Node's decoder from a string, as without it).
 */
const native = nativeBase64Decode();
const DECODERS: { name: string; decode: Base64Decode }[] = [
  ...(native ? [{ name: 'native decoder', decode: native }] : []),
  { name: "Node's decoder", decode: () => -1 },
];
let decoder: Base64Decode = DECODERS[0]!.decode;

/** Scans `body` written in pieces cut at `cuts` (byte offsets). */
function scan(body: string, cuts: number[] = []) {
  const bytes = Buffer.from(body, 'utf8');
  const scanner = new BlobMemberScanner('layerPartBlob', bytes.length, undefined, undefined, decoder);
  let from = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)) {
    scanner.write(bytes.subarray(from, cut));
    from = cut;
  }
  scanner.write(bytes.subarray(from));
  return scanner.finish();
}

const attempt = <T>(run: () => T): { value: T } | undefined => {
  try {
    return { value: run() };
  } catch {
    return undefined;
  }
};

const part = (size: number) => randomBytes(size).toString('base64');

describe.each(DECODERS)('BlobMemberScanner with the $name', ({ decode }) => {
  beforeEach(() => {
    decoder = decode;
  });

  it('decodes the part and keeps the rest of the body, with the member emptied, in any field order', () => {
    for (const size of [0, 1, 2, 3, 1000, 100_001]) {
      const blob = part(size);
      const bodies = [
        JSON.stringify({ repositoryName: 'r', uploadId: 'u', partFirstByte: 0, partLastByte: 9, layerPartBlob: blob }),
        JSON.stringify({ layerPartBlob: blob, repositoryName: 'r', uploadId: 'u' }),
        `{ "nested": {"layerPartBlob": "x"}, "layerPartBlob" :\n "${blob}" , "list": ["layerPartBlob"] }`,
      ];
      for (const body of bodies) {
        for (const cuts of [[], [1, 17, 40, 41, 42, 43, 44, 1000, 5000]]) {
          const scanned = scan(body, cuts);
          const expected = JSON.parse(body) as Record<string, unknown>;
          expect(scanned.blob?.equals(Buffer.from(blob, 'base64'))).toBe(true);
          expect(JSON.parse(scanned.text!)).toEqual({ ...expected, layerPartBlob: '' });
          expect(scanned.originalText()).toBe(body);
        }
      }
    }
  });

  it('leaves every irregular value to the buffered path, with the body rebuilt exactly as it came', () => {
    const irregular = [
      `{"layerPartBlob":"QUJD\\/A=="}`, // an escape (a valid one)
      `{"layerPartBlob":"QUJD-A=="}`, // URL-safe alphabet
      `{"layerPartBlob":"QUJDR"}`, // not a multiple of 4
      `{"layerPartBlob":"QU==QUJD"}`, // padding inside
      `{"layerPartBlob":"Q==="}`, // three padding characters
      `{"layerPartBlob":"QUJD QUJD"}`, // whitespace
      `{"layerPartBlob":"QUJD","layerPartBlob":"QUJE"}`, // twice
      `{"layerPartBl\\u006fb":"QUJD"}`, // escaped key
      `{"layerPartBlob":12}`, // not a string
      `{"layerPartBlob":"QUJD`, // unterminated
      `{"layerPartBlob":"QUJDé"}`, // non-ASCII
    ];
    for (const body of irregular) {
      for (const cuts of [[], [3, 18, 19, 20, 21, 22, 23]]) {
        const scanned = scan(body, cuts);
        expect(scanned.originalText(), body).toBe(body);
        if (scanned.blob) throw new Error(`took ${body} as a regular part`);
      }
    }
  });

  it('keeps a padded last group as it came (bits its bytes drop), and whatever follows it', () => {
    for (const body of [
      `{"layerPartBlob":"QUJDRB=="}`,
      `{"layerPartBlob":"QUJDRB==x"}`,
      `{"layerPartBlob":"QR==QUJD"}`,
    ]) {
      expect(scan(body, [20, 22, 24]).originalText()).toBe(body);
    }
    expect(scan(`{"layerPartBlob":"QUJDRB=="}`).blob?.toString()).toBe('ABCD');
  });

  it('rebuilds any body exactly, however it is cut', () => {
    const text = fc.oneof(
      fc.constantFrom('{"layerPartBlob":"', '"', '\\', '=', '}', '{', ',', ':', ' ', 'QUJD', 'A', '[', ']'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(text, { maxLength: 30 }), fc.array(fc.nat(200), { maxLength: 8 }), (pieces, cuts) => {
        const body = pieces.join('');
        const scanned = scan(body, cuts);
        expect(scanned.originalText()).toBe(Buffer.from(body, 'utf8').toString('utf8'));
        // A regular part leaves JSON.parse the same verdict on the kept text as on the body.
        const parsed = attempt(() => JSON.parse(body) as { layerPartBlob: string });
        if (scanned.text !== undefined) expect(attempt(() => JSON.parse(scanned.text!)) === undefined).toBe(!parsed);
        if (scanned.blob && parsed) {
          const { value } = parsed;
          expect(scanned.blob.equals(Buffer.from(value.layerPartBlob, 'base64'))).toBe(true);
          expect(JSON.parse(scanned.text!)).toEqual({ ...value, layerPartBlob: '' });
        }
      }),
      { numRuns: 3000 },
    );
  });
});

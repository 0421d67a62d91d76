import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Decodes plain canonical base64 `src` into `dst` at `dstOffset`: the bytes written, or -1 when
 * `src` is anything else (length not a multiple of 4, a character outside the alphabet, '=' but
 * as the last one or two characters) or does not fit. Where it answers, the bytes equal
 * `Buffer.from(src.toString('latin1'), 'base64')`. See src/native/longshore_base64.c.
 */
export type Base64Decode = (src: Uint8Array, dst: Uint8Array, dstOffset: number) => number;

/** Where the build puts the addon: next to the compiled module, or under dist/ when run from src/ (vitest). */
function defaultPath(): string {
  const here = new URL('.', import.meta.url);
  const inSource = here.pathname.endsWith('/src/');
  return new URL(inSource ? '../dist/native/longshore_base64.node' : './native/longshore_base64.node', here).pathname;
}

/** The bytes 0..95: 128 characters of base64, long enough for the vector path. */
const KNOWN = Buffer.from(Array.from({ length: 96 }, (_, i) => i));

/**
 * The native decoder, or undefined when the addon was not built, does not load here, or fails a
 * known-answer check (callers then decode with Node's own decoder, from a latin1 string).
 */
export function loadNativeBase64(file: string = defaultPath()): Base64Decode | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const { decodeBase64 } = createRequire(import.meta.url)(file) as { decodeBase64: Base64Decode };
    const out = Buffer.alloc(KNOWN.length + 1);
    const text = Buffer.from(KNOWN.toString('base64'), 'latin1');
    const ok =
      decodeBase64(text, out, 1) === KNOWN.length &&
      out.subarray(1).equals(KNOWN) &&
      decodeBase64(Buffer.from('QQ=A'), out, 0) === -1;
    return ok ? decodeBase64 : undefined;
  } catch {
    return undefined;
  }
}

let loaded: { decode: Base64Decode | undefined } | undefined;

/** This process's native decoder (loaded on first use, once), or undefined. */
export function nativeBase64Decode(): Base64Decode | undefined {
  loaded ??= { decode: loadNativeBase64() };
  return loaded.decode;
}

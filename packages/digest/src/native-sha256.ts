import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The native addon (src/native/longshore_sha256.c): OpenSSL's SHA-256 context, as exported by the
 * node binary, with a portable saved state. Built by `npm run build` when a compiler is at hand.
 */
export interface NativeSha256Binding {
  init(): Buffer;
  update(ctx: Buffer, data: Uint8Array): void;
  /** The portable state: 110 bytes starting with `LSS2` (see the C file). */
  save(ctx: Buffer): Buffer;
  /** Throws unless `state` is a valid saved state. */
  load(state: Uint8Array): Buffer;
  digest(ctx: Buffer): Buffer;
}

/** Where the build puts the addon: next to the compiled module, or under dist/ when run from src/ (vitest). */
export function defaultNativeSha256Path(): string {
  const here = new URL('.', import.meta.url);
  const inSource = here.pathname.endsWith('/src/');
  return new URL(inSource ? '../dist/native/longshore_sha256.node' : './native/longshore_sha256.node', here).pathname;
}

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/**
 * Loads the addon, or gives undefined when it was not built, does not load on this platform, or
 * fails a known-answer check: callers then use hash-wasm.
 */
export function loadNativeSha256(file: string = defaultNativeSha256Path()): NativeSha256Binding | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const binding = createRequire(import.meta.url)(file) as NativeSha256Binding;
    const ctx = binding.load(binding.save(binding.init()));
    binding.update(ctx, Buffer.from('abc'));
    return binding.digest(ctx).toString('hex') === ABC ? binding : undefined;
  } catch {
    return undefined;
  }
}

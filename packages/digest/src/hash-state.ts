/**
 * A saved layer-digest state says which implementation wrote it, so no process misreads one:
 *
 * - empty: nothing hashed yet;
 * - `LSS2…` (110 bytes): the native addon's portable state;
 * - hash-wasm's own state: a 4-byte prefix identifying its WebAssembly build, then its memory;
 * - `LSS0`: the running digest was lost (a state this process could not continue). Parts keep
 *   flowing, and completion re-hashes the stored bytes instead.
 */
export type HashStateFormat = 'empty' | 'native' | 'lost' | 'other';

const NATIVE_MAGIC = [0x4c, 0x53, 0x53, 0x32]; // "LSS2"
const NATIVE_STATE_BYTES = 110;

/** The state a hasher saves once it has lost track of the layer's digest. */
export const LOST_HASH_STATE: Uint8Array = Uint8Array.of(0x4c, 0x53, 0x53, 0x30); // "LSS0"

function startsWith(state: Uint8Array, magic: ArrayLike<number>): boolean {
  for (let i = 0; i < magic.length; i++) if (state[i] !== magic[i]) return false;
  return true;
}

export function hashStateFormat(state: Uint8Array | undefined): HashStateFormat {
  if (!state || state.byteLength === 0) return 'empty';
  if (state.byteLength === NATIVE_STATE_BYTES && startsWith(state, NATIVE_MAGIC)) return 'native';
  if (state.byteLength === LOST_HASH_STATE.byteLength && startsWith(state, LOST_HASH_STATE)) return 'lost';
  return 'other';
}

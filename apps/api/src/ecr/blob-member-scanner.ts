/**
 * Scans a JSON request body as it streams in and takes the string value of one top-level member
 * (UploadLayerPart's `layerPartBlob`) out of it: the base64 is decoded into one buffer as it
 * arrives, and only the rest of the body is kept as text. A 20 MiB part (27 MiB of JSON) then
 * costs its decoded bytes, never the whole body, its string and its parsed copy at once.
 *
 * The scanner only follows the JSON structure far enough to find that member (strings, escapes,
 * nesting); the kept text is parsed by JSON.parse afterwards, so every syntax error, duplicate
 * and type question is answered exactly as for a buffered body. Whenever the value is not
 * plain canonical base64 (an escape, a character outside the alphabet, misplaced padding, a
 * length that is not a multiple of 4, a second such member, an escaped key), the scanner keeps
 * the value's raw bytes from that point on, and `originalText()` rebuilds the body exactly as it
 * arrived (the decoded prefix re-encodes to the very characters it came from), for the
 * buffered path to judge.
 */

import { nativeBase64Decode, type Base64Decode } from '@longshore/digest';
import type { DecodeLease } from './decode-buffers.js';

const QUOTE = 0x22;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const isWhitespace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

type State =
  /** Outside strings, following the structure. */
  | 'structure'
  /** Inside a string that is not the member's value (`escaped`: after a backslash). */
  | 'string'
  /** After the member's key, before its colon. */
  | 'afterKey'
  /** After the member's colon, before its value. */
  | 'afterColon'
  /** Inside the member's string value. */
  | 'value';

export interface ScannedBody {
  /** The body with the member's value emptied (`""`), or undefined when the buffered path must judge. */
  text: string | undefined;
  /** The decoded value, when the member was found as plain canonical base64 (until `release`). */
  blob: Buffer | undefined;
  /** The body exactly as it arrived (rebuilt on demand; for errors and the buffered path). */
  originalText(): string;
}

export class BlobMemberScanner {
  private readonly keyBytes: Buffer;
  private readonly kept: Buffer[] = [];
  private state: State = 'structure';
  private escaped = false;
  /** Container kinds from the outside in: `{` or `[`. */
  private readonly containers: number[] = [];
  /** Whether the next string at the current level is an object key. */
  private expectKey = false;
  /** The bytes of the depth-1 key being read (up to the member's name plus one). */
  private key: number[] | undefined;
  private keyEscaped = false;
  private found = false;
  /** The buffered path must judge: the value is irregular, or its key came twice or escaped. */
  private irregular = false;

  // The member's value.
  private decoded: Buffer = Buffer.alloc(0);
  /** Where `decoded` was lent from, when it is a reused buffer (decode-buffers.ts). */
  private lease: DecodeLease | undefined;
  private decodedLength = 0;
  /** Fewer than 4 base64 characters not yet decoded (or padding seen). */
  private pending = '';
  private padded = false;
  /** The characters of the padded last group, and how many bytes it decoded to. */
  private paddedGroup = '';
  private paddedGroupBytes = 0;
  /** The raw bytes of the value from its first irregularity on. */
  private readonly rawTail: Buffer[] = [];
  private tailStarted = false;
  /** Where in `kept` the value belongs (index of the text chunk after its opening quote). */
  private valueAt = -1;

  /** Body bytes written before the current chunk. */
  private seen = 0;

  constructor(
    member: string,
    /** The body's declared length (Content-Length), to size the value's buffer at once. */
    private readonly declaredLength: number | undefined,
    /** Lends the buffer the value is decoded into; a fresh one when absent. */
    private readonly buffers?: { take(size: number): DecodeLease },
    /** Told each time the decode goes on: the buffer and how many of its bytes are decoded. */
    private readonly onDecoded?: (buffer: Buffer, length: number) => void,
    /**
     * Decodes a chunk's whole groups from its bytes (the native addon, @longshore/digest); without
     * it, each chunk is made a latin1 string for Node's decoder. The addon took the decode from
     * about 3.4-4.2 to 1.1-1.5 ms of CPU per 10 MiB part, and the strings' scavenges with it (ecr25).
     */
    private readonly decodeBase64: Base64Decode | undefined = nativeBase64Decode(),
  ) {
    this.keyBytes = Buffer.from(member, 'latin1');
  }

  write(chunk: Buffer): void {
    let keptFrom = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'value') {
        const end = chunk.indexOf(QUOTE, at);
        const stop = end < 0 ? chunk.length : end;
        this.valueBytes(chunk.subarray(at, stop));
        if (end < 0) {
          this.seen += chunk.length;
          return;
        }
        this.endValue();
        keptFrom = end;
        at = end + 1;
        this.state = 'structure';
        continue;
      }
      if (this.state === 'string') {
        at = this.stringBytes(chunk, at);
        continue;
      }
      const byte = chunk[at]!;
      if (this.state === 'afterKey' || this.state === 'afterColon') {
        if (isWhitespace(byte)) {
          at += 1;
          continue;
        }
        if (this.state === 'afterKey' && byte === COLON) {
          this.state = 'afterColon';
          at += 1;
          continue;
        }
        if (this.state === 'afterColon' && byte === QUOTE) {
          // The value starts: keep everything up to and including its opening quote.
          this.kept.push(Buffer.from(chunk.subarray(keptFrom, at + 1)));
          this.startValue(this.seen + at + 1);
          at += 1;
          keptFrom = at;
          continue;
        }
        // Not `"member": "<string>"`: the buffered path judges whatever this is.
        this.irregular = true;
        this.state = 'structure';
      }
      this.structureByte(byte);
      at += 1;
    }
    if (keptFrom < chunk.length) this.kept.push(Buffer.from(chunk.subarray(keptFrom)));
    this.seen += chunk.length;
  }

  /**
   * Gives the value's buffer back to where it was lent from: once nothing reads the blob, or the
   * original text, any more (a body that is not kept, or the request's part written and hashed).
   */
  release(): void {
    this.lease?.release();
    this.lease = undefined;
  }

  /** The scan's result, once the whole body was written. */
  finish(): ScannedBody {
    // An unterminated string or value is bad JSON: the buffered path answers it.
    const complete = this.state === 'structure' || this.state === 'afterKey' || this.state === 'afterColon';
    if (this.state === 'value') this.endValue();
    const regular = this.found && !this.irregular && !this.tailStarted && complete;
    return {
      text: !this.found ? this.keptText() : regular ? this.keptText() : undefined,
      blob: regular ? this.exactBlob() : undefined,
      originalText: () => this.rebuild(),
    };
  }

  private structureByte(byte: number): void {
    switch (byte) {
      case QUOTE:
        this.state = 'string';
        this.escaped = false;
        if (this.expectKey && this.containers.length === 1) {
          this.key = [];
          this.keyEscaped = false;
        } else {
          this.key = undefined;
        }
        this.expectKey = false;
        return;
      case OPEN_OBJECT:
        this.containers.push(OPEN_OBJECT);
        this.expectKey = true;
        return;
      case OPEN_ARRAY:
        this.containers.push(OPEN_ARRAY);
        this.expectKey = false;
        return;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        this.containers.pop();
        this.expectKey = false;
        return;
      case COMMA:
        this.expectKey = this.containers[this.containers.length - 1] === OPEN_OBJECT;
        return;
      default:
        return;
    }
  }

  /** Bytes of an ordinary string from `at`; returns where the scan goes on. */
  private stringBytes(chunk: Buffer, at: number): number {
    while (at < chunk.length) {
      const byte = chunk[at]!;
      if (this.escaped) {
        this.escaped = false;
        this.keyEscaped = this.key !== undefined || this.keyEscaped;
      } else if (byte === BACKSLASH) {
        this.escaped = true;
      } else if (byte === QUOTE) {
        this.endString();
        return at + 1;
      } else if (this.key !== undefined) {
        if (this.key.length <= this.keyBytes.length) this.key.push(byte);
      } else {
        // Not a key: skip to the next quote or backslash at once.
        const quote = chunk.indexOf(QUOTE, at);
        const backslash = chunk.indexOf(BACKSLASH, at);
        const next = Math.min(quote < 0 ? chunk.length : quote, backslash < 0 ? chunk.length : backslash);
        if (next > at) {
          at = next;
          continue;
        }
      }
      at += 1;
    }
    return at;
  }

  private endString(): void {
    this.state = 'structure';
    const key = this.key;
    this.key = undefined;
    if (key === undefined) return;
    if (this.keyEscaped) {
      // `"layerPartBl\u006fb"` names the member too: JSON.parse must see it as it came.
      this.irregular = true;
      return;
    }
    if (key.length === this.keyBytes.length && this.keyBytes.equals(Buffer.from(key))) {
      if (this.found) {
        this.irregular = true;
        return;
      }
      this.state = 'afterKey';
    }
  }

  private startValue(consumed: number): void {
    this.found = true;
    this.state = 'value';
    this.valueAt = this.kept.length;
    // The value holds at most what is left of the body but its closing `"}`: 3 bytes per 4
    // characters (exact for a part sent last, as the SDKs do, unless it is padded).
    const remaining = this.declaredLength === undefined ? undefined : this.declaredLength - consumed - 2;
    const estimate = remaining === undefined || remaining < 0 ? 1024 * 1024 : Math.floor(remaining / 4) * 3;
    const size = Math.max(estimate, 3);
    this.lease = this.buffers?.take(size);
    this.decoded = this.lease?.buffer ?? Buffer.allocUnsafeSlow(size);
  }

  private valueBytes(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.tailStarted || this.padded) {
      // Anything after padding is not canonical base64.
      this.startTail();
      this.rawTail.push(Buffer.from(bytes));
      return;
    }
    let from = 0;
    if (this.pending.length > 0) {
      // The group the last chunk left open is completed and decoded apart: the rest of this
      // chunk is then taken as it is, never copied into one string with the leftover.
      const need = 4 - this.pending.length;
      if (bytes.length < need) {
        this.pending += bytes.toString('latin1');
        return;
      }
      if (!this.decodeGroups(this.pending + bytes.toString('latin1', 0, need))) {
        this.startTail();
        this.rawTail.push(Buffer.from(bytes));
        return;
      }
      this.pending = '';
      from = need;
      if (this.padded) {
        if (from < bytes.length) this.valueBytes(bytes.subarray(from));
        return;
      }
    }
    const rest = bytes.length - from;
    const whole = from + rest - (rest % 4);
    if (whole > from && !this.decodeGroupBytes(bytes.subarray(from, whole))) {
      this.startTail();
      this.rawTail.push(Buffer.from(bytes.subarray(from)));
      return;
    }
    this.pending = bytes.toString('latin1', whole);
  }

  /**
   * Whole groups as they came in a chunk: decoded from the bytes when the native decoder is at
   * hand and they are plain canonical base64; anything it refuses is judged by decodeGroups.
   */
  private decodeGroupBytes(groups: Buffer): boolean {
    const decode = this.decodeBase64;
    if (decode) {
      const whole = groups.length;
      const padding = groups[whole - 1] !== EQUALS ? 0 : groups[whole - 2] === EQUALS ? 2 : 1;
      this.ensureRoom((whole / 4) * 3 - padding);
      const written = decode(groups, this.decoded, this.decodedLength);
      if (written >= 0) {
        this.decodedGroups(written, padding, padding > 0 ? groups.toString('latin1', whole - 4) : '');
        return true;
      }
    }
    return this.decodeGroups(groups.toString('latin1'));
  }

  /** Decodes whole groups; false (nothing decoded) when they are not plain canonical base64. */
  private decodeGroups(groups: string): boolean {
    const whole = groups.length;
    const padding = groups.endsWith('==') ? 2 : groups.endsWith('=') ? 1 : 0;
    const expected = (whole / 4) * 3 - padding;
    // Node's decoder skips characters outside the alphabet and stops at early padding (both
    // leave fewer bytes than expected), and takes the URL-safe `-` and `_`, which base64 does not.
    const odd =
      groups.includes('-') || groups.includes('_') || (padding > 0 && groups.indexOf('=') !== whole - padding);
    this.ensureRoom(expected);
    const written = odd ? -1 : this.decoded.write(groups, this.decodedLength, 'base64');
    if (written !== expected) return false;
    this.decodedGroups(written, padding, padding > 0 ? groups.slice(whole - 4) : '');
    return true;
  }

  /**
   * `written` bytes were decoded at the end; `padding`: the '=' of their last group, whose
   * characters are `paddedGroup` (empty when unpadded).
   */
  private decodedGroups(written: number, padding: number, paddedGroup: string): void {
    this.decodedLength += written;
    this.onDecoded?.(this.decoded, this.decodedLength);
    if (padding > 0) {
      // A padded group may carry bits its decoded bytes drop: keep its characters as they came.
      this.padded = true;
      this.paddedGroup = paddedGroup;
      this.paddedGroupBytes = 3 - padding;
    }
  }

  /**
   * From here on the value is kept raw: what was decoded re-encodes to exactly the characters
   * it came from (whole groups of the canonical alphabet), and the undecoded rest follows.
   */
  private startTail(): void {
    if (this.tailStarted) return;
    this.tailStarted = true;
    if (this.pending.length > 0) this.rawTail.push(Buffer.from(this.pending, 'latin1'));
    this.pending = '';
  }

  /** A value whose length is not a multiple of 4 is not canonical base64. */
  private endValue(): void {
    if (this.pending.length > 0) this.startTail();
  }

  private ensureRoom(more: number): void {
    if (this.decodedLength + more <= this.decoded.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.decoded.length * 2, this.decodedLength + more));
    this.decoded.copy(grown, 0, 0, this.decodedLength);
    // A lent buffer goes back only with `release`: what was told to onDecoded may still read it.
    this.decoded = grown;
  }

  /**
   * The decoded bytes: a view on the buffer they were decoded into, which a padded part leaves a
   * byte or two longer. No copy: the part writer hands it to a hash thread (a lent slot is
   * shared with it, a fresh buffer moved).
   */
  private exactBlob(): Buffer {
    return this.decoded.subarray(0, this.decodedLength);
  }

  private keptText(): string {
    return Buffer.concat(this.kept).toString('utf8');
  }

  private rebuild(): string {
    if (!this.found) return this.keptText();
    // Whole unpadded groups re-encode to exactly the characters they came from.
    const unpadded = this.decodedLength - (this.padded ? this.paddedGroupBytes : 0);
    const value = Buffer.concat([
      Buffer.from(this.decoded.subarray(0, unpadded).toString('base64'), 'latin1'),
      Buffer.from(this.paddedGroup, 'latin1'),
      ...this.rawTail,
      Buffer.from(this.pending, 'latin1'),
    ]);
    return Buffer.concat([...this.kept.slice(0, this.valueAt), value, ...this.kept.slice(this.valueAt)]).toString(
      'utf8',
    );
  }
}

/**
 * The compact changelog form of a window's aggregate. A restore reads
 * millions of these, and as JSON each cost a string, a parse and an object
 * before its numbers reached the window's packed rows; in this form the
 * numbers are copied from the record's bytes into the row.
 *
 *   byte 0      0x00, the mark of a compact value: JSON text never starts with it
 *   byte 1      0x01, what follows: a window row, version 1
 *   byte 2      which numbers follow the count: bit 0 sum, 1 the sum of `avg`, 2 min, 3 max
 *   bytes 3..   IEEE 754 doubles, little-endian: start, end, count, then the numbers of byte 2 in that order
 *
 * The record key is not in the value: it is part of the store key,
 * `w\0<key>\0<start>`. A window with a `collect` list is written as JSON, as
 * every changelog value was before this form existed; both are read.
 */
import type { Payload } from '../types.js';

/** One window of one key, as the store holds it (see kinds/window.ts). */
export interface WindowValue {
  /** The record key. */
  k: string;
  /** Window start and end, ms; for sessions the first and last event time. */
  s: number;
  e: number;
  n: number;
  sum?: number;
  /** Sum of the `avg` expression. */
  a?: number;
  min?: number;
  max?: number;
  c?: unknown[];
}

/** The first byte of a compact changelog value. */
export const COMPACT = 0x00;
/** Its second byte for a window row, version 1. */
export const WINDOW_ROW_V1 = 0x01;
/** The numbers after start, end and count, in the order of their bits in byte 2. */
export const WINDOW_NUMBERS = ['sum', 'a', 'min', 'max'] as const;
/** Where the doubles start. */
export const WINDOW_HEADER = 3;

/** Whether a changelog value is in a compact form (and not JSON text, nor a deletion). */
export function isCompact(value: Payload): value is Uint8Array {
  return value !== null && typeof value !== 'string' && value.length > 0 && value[0] === COMPACT;
}

/** The length of a window row whose byte 2 is `mask`. */
export function windowRowLength(mask: number): number {
  let fields = 3;
  for (let m = mask; m !== 0; m >>= 1) fields += m & 1;
  return WINDOW_HEADER + 8 * fields;
}

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian double at `at` of `b` (any alignment, no allocation). */
export function readDouble(b: Uint8Array, at: number): number {
  const s = scratchBytes;
  if (LITTLE_ENDIAN) {
    s[0] = b[at];
    s[1] = b[at + 1];
    s[2] = b[at + 2];
    s[3] = b[at + 3];
    s[4] = b[at + 4];
    s[5] = b[at + 5];
    s[6] = b[at + 6];
    s[7] = b[at + 7];
  } else for (let j = 0; j < 8; j++) s[j] = b[at + 7 - j];
  return scratch[0];
}

function writeDouble(b: Uint8Array, at: number, x: number): void {
  scratch[0] = x;
  for (let j = 0; j < 8; j++) b[at + j] = scratchBytes[LITTLE_ENDIAN ? j : 7 - j];
}

/** Node's Buffer, where there is one: kafkajs sends it as it is (a plain Uint8Array is copied into one). */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafe(n: number): Uint8Array } }).Buffer;

/**
 * The compact form of a window, or undefined when it has none (a `collect`
 * list, or a field that is not a number): write it as JSON then.
 */
export function encodeWindow(v: WindowValue): Uint8Array | undefined {
  if (v.c !== undefined || typeof v.s !== 'number' || typeof v.e !== 'number' || typeof v.n !== 'number') return undefined;
  let mask = 0;
  for (let f = 0; f < WINDOW_NUMBERS.length; f++) {
    const x = v[WINDOW_NUMBERS[f]];
    if (x === undefined) continue;
    // NaN is how a packed row marks a number as unset; JSON wrote it as null.
    if (typeof x !== 'number' || Number.isNaN(x)) return undefined;
    mask |= 1 << f;
  }
  const length = windowRowLength(mask);
  const out = NodeBuffer ? NodeBuffer.allocUnsafe(length) : new Uint8Array(length);
  out[0] = COMPACT;
  out[1] = WINDOW_ROW_V1;
  out[2] = mask;
  writeDouble(out, WINDOW_HEADER, v.s);
  writeDouble(out, WINDOW_HEADER + 8, v.e);
  writeDouble(out, WINDOW_HEADER + 16, v.n);
  let at = WINDOW_HEADER + 24;
  for (let f = 0; f < WINDOW_NUMBERS.length; f++) {
    if ((mask & (1 << f)) === 0) continue;
    writeDouble(out, at, v[WINDOW_NUMBERS[f]] as number);
    at += 8;
  }
  return out;
}

/** What is wrong with a compact value, or undefined when it is a window row this version reads. */
export function windowRowProblem(b: Uint8Array): string | undefined {
  if (b.length < WINDOW_HEADER || b[0] !== COMPACT) return 'it is not a compact value';
  if (b[1] !== WINDOW_ROW_V1) return `its format (${b[1]}) is not one this version of Pipewright reads: it was written by a newer one`;
  if (b[2] >> WINDOW_NUMBERS.length !== 0) return `it names numbers (${b[2]}) this version of Pipewright does not know: it was written by a newer one`;
  if (b.length !== windowRowLength(b[2])) return `it has ${b.length} bytes, not the ${windowRowLength(b[2])} its header says: the record is damaged`;
  return undefined;
}

/** The record key within a window's store key, `w\0<key>\0<start>`. */
export function windowRecordKey(storeKey: string): string {
  return storeKey.slice(2, storeKey.lastIndexOf('\u0000'));
}

/** A window from its compact form; throws when the bytes are not a window row this version reads. */
export function decodeWindow(storeKey: string, b: Uint8Array): WindowValue {
  const problem = windowRowProblem(b);
  if (problem) throw new Error(`the changelog value of ${JSON.stringify(storeKey)} cannot be read: ${problem}`);
  const v: WindowValue = {
    k: windowRecordKey(storeKey),
    s: readDouble(b, WINDOW_HEADER),
    e: readDouble(b, WINDOW_HEADER + 8),
    n: readDouble(b, WINDOW_HEADER + 16),
  };
  let at = WINDOW_HEADER + 24;
  for (let f = 0; f < WINDOW_NUMBERS.length; f++) {
    if ((b[2] & (1 << f)) === 0) continue;
    v[WINDOW_NUMBERS[f]] = readDouble(b, at);
    at += 8;
  }
  return v;
}

const utf8 = new TextDecoder();

/**
 * A changelog value as the state holds it: JSON text, or a compact form
 * (today, only windows have one). Null (a deletion) gives undefined. For
 * readers of a changelog outside the engine, such as the designer's window view.
 */
export function readChangelogValue(storeKey: string, value: Payload): unknown {
  if (value === null) return undefined;
  if (isCompact(value)) return decodeWindow(storeKey, value);
  return JSON.parse(typeof value === 'string' ? value : utf8.decode(value));
}

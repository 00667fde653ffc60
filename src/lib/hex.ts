/** Lowercase hex of a fixed number of bytes: the patterns and valibot schemas of keys, ids and hashes, written once. */
import * as v from "valibot";

/** `^[0-9a-f]{2·bytes}$`, or a byte range `[min, max]`. */
export function hexPattern(bytes: number | readonly [number, number]): RegExp {
  if (typeof bytes === "number") return new RegExp(`^[0-9a-f]{${2 * bytes}}$`);
  return new RegExp(`^(?:[0-9a-f]{2}){${bytes[0]},${bytes[1]}}$`);
}

/** Participant keys and ceremony ids: 32 bytes. */
export const KEY_HEX = hexPattern(32);
/** blake2b-512 hashes (chunk files, events, challenges): 64 bytes. */
export const HASH_HEX = hexPattern(64);

export const isKeyHex = (s: string): boolean => KEY_HEX.test(s);
export const isHashHex = (s: string): boolean => HASH_HEX.test(s);

export function hexSchema(bytes: number | readonly [number, number], message?: string) {
  const what = typeof bytes === "number" ? `${2 * bytes} lowercase hex digits` : `${bytes[0]} to ${bytes[1]} bytes of lowercase hex`;
  return v.pipe(v.string(), v.regex(hexPattern(bytes), message ?? `must be ${what}`));
}

export const KeyHex = hexSchema(32);
export const HashHex = hexSchema(64);
/** Any whole number of bytes, including none. */
export const AnyHex = v.pipe(v.string(), v.regex(/^(?:[0-9a-f]{2})*$/, "must be lowercase hex"));

// Deltas as git reads them: applying each one (with a decoder written from the format's description) gives the target
// back; dissimilar objects get none.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { encodeDelta } from "../../src/git-http/delta.ts";

function readVarint(delta: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = delta[at++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  let [baseSize, at] = readVarint(delta, 0);
  expect(baseSize).toBe(base.length);
  let targetSize: number;
  [targetSize, at] = readVarint(delta, at);
  const out: number[] = [];
  while (at < delta.length) {
    const op = delta[at++] ?? 0;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += (delta[at++] ?? 0) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) size += (delta[at++] ?? 0) * 2 ** (8 * i);
      if (size === 0) size = 0x10000;
      expect(offset + size).toBeLessThanOrEqual(base.length);
      out.push(...base.subarray(offset, offset + size));
    } else {
      expect(op).toBeGreaterThan(0);
      out.push(...delta.subarray(at, at + op));
      at += op;
    }
  }
  expect(out.length).toBe(targetSize);
  return Uint8Array.from(out);
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  return Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at + remove)]);
}

describe("tree deltas", () => {
  const base = randomBytes(200_000);
  const cases: [string, Uint8Array][] = [
    ["identical", base],
    ["insert at the start", splice(base, 0, 0, randomBytes(45))],
    ["insert in the middle", splice(base, 70_000, 0, randomBytes(300))],
    ["append", splice(base, base.length, 0, randomBytes(45))],
    ["replace 20 bytes at an offset above 2^16", splice(base, 131_072, 20, randomBytes(20))],
    ["delete", splice(base, 1000, 5000, new Uint8Array(0))],
    ["truncate", base.subarray(0, 150_000)],
  ];
  it.each(cases)("%s", (_, target) => {
    const delta = encodeDelta(base, target);
    expect(delta).not.toBeNull();
    expect(delta?.length).toBeLessThan(1000);
    expect(Buffer.compare(Buffer.from(applyDelta(base, delta ?? new Uint8Array())), Buffer.from(target))).toBe(0);
  });

  it("gives none for unrelated content", () => {
    expect(encodeDelta(randomBytes(1000), randomBytes(1000))).toBeNull();
  });

  it("handles a target made of nothing but the base's ends", () => {
    const small = Uint8Array.from([1, 2, 3, 1, 2, 3]);
    const target = Uint8Array.from([1, 2, 3]);
    expect(applyDelta(small, encodeDelta(small, target) ?? new Uint8Array())).toEqual(target);
  });
});

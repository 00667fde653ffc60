// The event log's hash, native under Bun and node:crypto under Node, is @noble/hashes' blake2b-512 byte for byte:
// on inputs of every length around the block size, given in one part or several, with the hasher reused.
import { blake2b } from "@noble/hashes/blake2.js";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { blake2b512Into } from "../../../src/adapters/bun/blake2b.ts";

const bun = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));
const adapter = fileURLToPath(new URL("../../../src/adapters/bun/blake2b.ts", import.meta.url));

/** Hashes inputs of length 0..600 (split in up to three parts) with the adapter and noble; returns the mismatches. */
const compare = `
import { blake2b } from "@noble/hashes/blake2.js";
import { blake2b512Into } from ${JSON.stringify(adapter)};
const hash = blake2b512Into();
const out = new Uint8Array(64);
let bad = 0, n = 0;
for (let len = 0; len <= 600; len++) {
  const input = Uint8Array.from({ length: len }, (_, i) => (i * 31 + len * 7) & 255);
  for (const cuts of [[], [len >> 1], [len >> 2, len >> 1]]) {
    const parts = [0, ...cuts, len].slice(1).map((end, i, a) => input.subarray(i === 0 ? 0 : [0, ...cuts][i], end));
    hash(parts, out);
    n++;
    if (Buffer.compare(Buffer.from(out), Buffer.from(blake2b(input, { dkLen: 64 }))) !== 0) bad++;
  }
}
console.log(JSON.stringify({ runtime: typeof Bun === "undefined" ? "node" : "bun", n, bad }));
`;

describe("blake2b-512 for the event log", () => {
  it("is noble's blake2b-512 under Node", () => {
    const hash = blake2b512Into();
    const out = new Uint8Array(64);
    for (let len = 0; len <= 300; len++) {
      const input = Uint8Array.from({ length: len }, (_, i) => (i * 13 + len) & 255);
      hash([input.subarray(0, len >> 1), input.subarray(len >> 1)], out);
      expect(Buffer.from(out).toString("hex")).toBe(Buffer.from(blake2b(input, { dkLen: 64 })).toString("hex"));
    }
  });

  it.skipIf(!existsSync(bun))("is noble's blake2b-512 under Bun (Bun.CryptoHasher, reused)", () => {
    const run = spawnSync(bun, ["-e", compare], { encoding: "utf8", cwd: fileURLToPath(new URL("../../..", import.meta.url)) });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ runtime: "bun", n: 601 * 3, bad: 0 });
  });
});

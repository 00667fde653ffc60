// Every build of the C curve engine (src/crypto/msm) must give the bytes ffjavascript and mcl give: the wasm build
// here under Node, the native build in a Bun child process (bun:ffi exists only there), with the same cases.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBn128, type Curve } from "ffjavascript";
import { initMcl } from "../../src/crypto/mcl.ts";
import { initWasmEngine, wasmEngine, wasmPairingIsOne } from "../../src/crypto/msm/wasm.ts";
import { Parity } from "./parity.ts";

let curve: Curve;
beforeAll(async () => {
  curve = await buildBn128(true);
  await Promise.all([initMcl(), initWasmEngine()]);
});
afterAll(async () => {
  await curve.terminate();
});

describe("C curve engine, wasm build, vs ffjavascript and mcl", () => {
  const parity = (): Parity => new Parity(wasmEngine, curve);
  it("applyKey: random and edge scalars, infinities, batch boundaries", async () => {
    const p = parity();
    await p.applyKey();
    expect(p.failures).toEqual([]);
  });
  it("checkPoints: each fault, and which one is reported first", async () => {
    const p = parity();
    await p.checkPoints();
    expect(p.failures).toEqual([]);
  });
  it("g2InSubgroup: members, twist points, a point of order 10069", async () => {
    const p = parity();
    await p.subgroup();
    expect(p.failures).toEqual([]);
  });
  it("toUncompressed: the bytes snarkjs hashes, infinity included", async () => {
    const p = parity();
    await p.uncompressed();
    expect(p.failures).toEqual([]);
  });
  it("msm: random, duplicates, negations, infinities, twist points", async () => {
    const p = parity();
    await p.msm();
    expect(p.failures).toEqual([]);
  });
  it("the C pairing check (mcl's serves in wasm; the code is the native build's): products that are 1 and not", async () => {
    const p = parity();
    await p.pairing(wasmPairingIsOne);
    expect(p.failures).toEqual([]);
  });
});

describe("C curve engine, native build (bun:ffi)", () => {
  const bun = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));
  const root = fileURLToPath(new URL("../..", import.meta.url));

  it("gives the same bytes on the same cases, where a native build exists", () => {
    const script = fileURLToPath(new URL("./native-parity.ts", import.meta.url));
    const out = JSON.parse(execFileSync(bun, [script], { encoding: "utf8" }).trim().split("\n").pop() ?? "{}") as { engine: string; failures: string[] };
    if (process.platform === "linux" && process.arch === "x64") expect(out.engine).toBe("native");
    expect(out.failures).toEqual([]);
  });

  it("rejects every hostile upload and verifies contributions the same way (the suites run under Bun's test runner)", () => {
    // `bun test` runs these vitest files on Bun, where verification uses the native engine (npm run test:native).
    const suites = ["test/crypto/verify-hostile.test.ts", "test/crypto/verify-contribution.test.ts"];
    const run = (): string => execFileSync(bun, ["test", ...suites], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(run).not.toThrow();
  });
});

// The C engine's build outputs are checked in (neither CI nor users need clang): the wasm as base64 in
// msm-wasm.generated.ts, the native library in src/crypto/msm/native/. They must be what the sources give:
// rebuilt here with the compiler the generated header names, wherever that compiler is installed.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MSM_WASM_BASE64, MSM_WASM_SHA256 } from "../../src/crypto/msm/msm-wasm.generated.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const generated = readFileSync(new URL("../../src/crypto/msm/msm-wasm.generated.ts", import.meta.url), "utf8");
const recordedCompiler = /^\/\/ Compiler: (.*)$/m.exec(generated)?.[1] ?? "";

function localCompiler(): string | null {
  const clang = spawnSync("clang", ["--version"], { encoding: "utf8" });
  const lld = spawnSync("wasm-ld", ["--version"], { stdio: "ignore" });
  if (clang.status !== 0 || lld.status !== 0) return null;
  return clang.stdout.split("\n")[0] ?? null;
}

describe("C curve engine build outputs", () => {
  it("the embedded wasm is the one its header names", () => {
    expect(recordedCompiler).not.toBe("");
    const sha = createHash("sha256").update(Buffer.from(MSM_WASM_BASE64, "base64")).digest("hex");
    expect(sha).toBe(MSM_WASM_SHA256);
  });

  it.runIf(localCompiler() === recordedCompiler)("rebuilding from the sources gives the checked-in bytes (wasm and native)", () => {
    expect(() => execFileSync("scripts/build-msm-wasm.sh", ["--check"], { cwd: root, stdio: "pipe" })).not.toThrow();
  }, 300_000);
});

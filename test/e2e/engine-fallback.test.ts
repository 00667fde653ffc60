// The compiled binary carries the C curve engine twice: natively (dlopened through bun:ffi from a copy Bun writes
// into TMPDIR) and as wasm. Where the native library cannot be loaded (here: TMPDIR on a noexec tmpfs, as on
// hardened hosts, in a private mount namespace) it must fall back to wasm and produce a .ptau snarkjs accepts.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installBinary } from "../helpers/binary.ts";
import { snarkjsVerifies } from "../helpers/snarkjs.ts";

let dir = "";
let bin = "";

const SIMULATE = ["simulate", "--power", "6", "--chunk-size", "16", "--contributors", "2", "--rounds", "1", "--beacon", "00ff"];

/** Whether this host lets us mount a tmpfs in a private mount namespace (root, or user namespaces allowed). */
function canUnshare(): boolean {
  return spawnSync("unshare", ["-m", "--propagation", "private", "true"], { stdio: "ignore" }).status === 0;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-engine-"));
  bin = await installBinary(dir);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("compiled binary, curve engine", () => {
  it("uses the native engine where a library for the platform loads", () => {
    const out = execFileSync(bin, [...SIMULATE, "--out", join(dir, "native.ptau")], { cwd: dir, encoding: "utf8" });
    const native = process.platform === "linux" && process.arch === "x64";
    expect(out).toMatch(native ? /native curve engine/ : /wasm curve engine/);
    expect(out).toMatch(/wrote .* with 3 records/);
  }, 120_000);

  it.runIf(canUnshare())("falls back to wasm when the native library cannot be mapped executable, and its .ptau verifies", async () => {
    const noexec = join(dir, "noexec");
    await mkdir(noexec);
    const ptau = join(dir, "fallback.ptau");
    const script = `mount -t tmpfs -o noexec,size=64m none "$1" && shift && TMPDIR="$NOEXEC" "$@"`;
    const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", noexec, bin, ...SIMULATE, "--out", ptau], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NOEXEC: noexec },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wasm curve engine/);
    expect(r.stdout).toMatch(/wrote .* with 3 records/);
    const v = await snarkjsVerifies(ptau);
    expect(v.ok, v.output).toBe(true);
  }, 180_000);
});

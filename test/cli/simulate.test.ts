// `ceremony simulate` as an operator runs it (under Bun, as the binary would): a verified .ptau, or one line and a non-zero exit.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { snarkjsVerifies } from "../helpers/snarkjs.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bun = join(root, "node_modules", ".bin", "bun");
const run = promisify(execFile);

async function ceremony(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bun, [join(root, "src", "main.ts"), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("ceremony simulate", () => {
  it("writes a final .ptau that snarkjs verifies and prints the time spent", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ceremony-cli-"));
    try {
      const out = join(dir, "final.ptau");
      const r = await ceremony("simulate", "--power", "5", "--chunk-size", "8", "--contributors", "2", "--rounds", "1", "--beacon", "ab".repeat(32), "--out", out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/contributing [\d.]+ s, verifying [\d.]+ s, aggregating [\d.]+ s/);
      const v = await snarkjsVerifies(out);
      expect(v.ok, v.output).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses bad options with one line and a non-zero exit", async () => {
    for (const args of [
      ["simulate", "--power", "5", "--chunk-size", "7", "--contributors", "2", "--rounds", "1", "--beacon", "ab", "--out", "/tmp/x.ptau"],
      ["simulate", "--power", "5"],
      ["simulate", "--power", "5", "--chunk-size", "8", "--contributors", "2", "--rounds", "1", "--beacon", "zz", "--out", "/tmp/x.ptau"],
      ["no-such-command"],
    ]) {
      const r = await ceremony(...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^ceremony: /);
    }
  });
});

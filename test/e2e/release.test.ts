// `npm run build:release`: the executable per platform with SHA-256 sums; here the host's target, which needs no
// download, built and checked (its sum, and that it runs from a folder without node_modules).
import { expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

it("builds the linux-x64 executable with its SHA-256 in SHA256SUMS", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-release-"));
  const release = join(dir, "release");
  execFileSync(join(root, "node_modules", ".bin", "bun"), ["scripts/build-release.ts", "--targets", "linux-x64", "--out", release], { cwd: root, stdio: "pipe" });
  const sums = (await readFile(join(release, "SHA256SUMS"), "utf8")).trim().split("\n");
  const bytes = await readFile(join(release, "ceremony-linux-x64"));
  expect(sums).toEqual([`${createHash("sha256").update(bytes).digest("hex")}  ceremony-linux-x64`]);
  try {
    await copyFile(join(release, "ceremony-linux-x64"), join(dir, "ceremony"));
    execFileSync("chmod", ["+x", join(dir, "ceremony")]);
    expect(execFileSync(join(dir, "ceremony"), ["--help"], { cwd: dir, encoding: "utf8" })).toMatch(/usage: ceremony <command>/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);

// `npm run build:release [-- --targets linux-x64,darwin-arm64] [--out DIR]`: the single executable for every platform
// participants and the public use (Bun --compile, cross-compiled), in dist/release/, with a SHA256SUMS file.
// Bun fetches each foreign target's runtime once (from the npm registry) and caches it; a target it cannot get is
// reported with its reason, the others are still built, and the script exits non-zero.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const TARGETS = ["linux-x64", "linux-arm64", "darwin-arm64", "windows-x64"] as const;
type Target = (typeof TARGETS)[number];

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { targets: { type: "string" }, out: { type: "string" } }, strict: true });
const out = resolve(values.out ?? join(root, "dist", "release"));
const wanted = (values.targets ?? TARGETS.join(",")).split(",").filter(Boolean);
const unknown = wanted.filter((t) => !(TARGETS as readonly string[]).includes(t));
if (unknown.length > 0) {
  console.error(`build:release: unknown target(s) ${unknown.join(", ")}; known: ${TARGETS.join(", ")}`);
  process.exit(2);
}

const fileName = (t: Target): string => `ceremony-${t}${t.startsWith("windows") ? ".exe" : ""}`;

/** Compiles one target; null when it worked, else the last lines Bun said. */
function compile(t: Target): string | null {
  const args = ["build", "--compile", "--minify", `--target=bun-${t}`, "src/main.ts", "src/crypto/worker.ts", "--asset", "dist/web", "--outfile", join(out, fileName(t))];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 600_000 });
  if (r.status === 0) return null;
  const said = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").slice(-3).join(" / ");
  return said || (r.error ? r.error.message : `exit ${r.status ?? r.signal}`);
}

// The browser pages, embedded in every target (they are the same files everywhere).
const web = spawnSync(process.execPath, ["scripts/build-web.ts"], { cwd: root, encoding: "utf8", timeout: 600_000 });
if (web.status !== 0) {
  console.error(`build:release: build:web failed: ${`${web.stderr ?? ""}${web.stdout ?? ""}`.trim()}`);
  process.exit(1);
}
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const built: string[] = [];
const failed: string[] = [];
for (const t of wanted as Target[]) {
  const t0 = performance.now();
  const why = compile(t);
  if (why === null) {
    built.push(fileName(t));
    console.log(`build:release: ${fileName(t)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } else {
    failed.push(`${t}: ${why}`);
    console.error(`build:release: ${t} FAILED: ${why}`);
  }
}
const sums: string[] = [];
for (const name of built) sums.push(`${createHash("sha256").update(await readFile(join(out, name))).digest("hex")}  ${name}`);
await writeFile(join(out, "SHA256SUMS"), sums.length ? `${sums.join("\n")}\n` : "");
console.log(`build:release: ${built.length} of ${wanted.length} target(s) in ${out}, with SHA256SUMS (check: sha256sum --check SHA256SUMS)`);
if (failed.length > 0) {
  console.error(`build:release: not built: ${failed.join("; ")}`);
  process.exit(1);
}

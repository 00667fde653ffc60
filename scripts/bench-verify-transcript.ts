/**
 * verify-transcript against `snarkjs powersoftau verify` of the same final file, in one run: a real ceremony
 * (serve + contribute processes + admin finalize, under Bun), its transcript cloned with git, then both timed.
 *
 *   bun scripts/bench-verify-transcript.ts [--power 10] [--chunk-size 256] [--contributors 3] [--runs 3] [--keep]
 *
 * --keep leaves the temp folder (the clone and final.ptau) in place and prints its path.
 *
 * With --runs N both checks run N times, alternating, and the medians are reported. verify-transcript runs as the
 * public runs it: the compiled binary (built first by `npm run build`).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { power: { type: "string" }, "chunk-size": { type: "string" }, contributors: { type: "string" }, runs: { type: "string" }, keep: { type: "boolean" } },
});
const power = values.power ?? "10";
const chunkSize = values["chunk-size"] ?? "256";
const contributors = Number(values.contributors ?? 3);
const runs = Math.max(1, Number(values.runs ?? 3));
const root = fileURLToPath(new URL("..", import.meta.url));
const main = join(root, "src", "main.ts");
const bun = process.execPath;
execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "ignore" });
const binary = join(root, "dist", "ceremony");
const dir = await mkdtemp(join(tmpdir(), "ceremony-bench-vt-"));

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    p.on("exit", (code) => resolve({ code, out, seconds: (performance.now() - t0) / 1000 }));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

let server: ChildProcess | null = null;
try {
  server = spawn(bun, [main, "serve", "--preset", "test", "--data", join(dir, "data"), "--port", "0", "--power", power, "--chunk-size", chunkSize, "--contributors-per-round", String(contributors)], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise<string>((resolve) => {
    server?.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /listening on (http:\/\/[^\s;]+)/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
  });
  const t0 = performance.now();
  for (let i = 0; i < contributors; i++) await writeFile(join(dir, `entropy-${i}`), `bench ${i} ${Math.random()}`);
  const contributions = await Promise.all(
    Array.from({ length: contributors }, (_, i) => run(bun, [main, "contribute", "--coordinator", url, "--entropy-file", `entropy-${i}`, "--no-prompt", "--poll-ms", "100"])),
  );
  for (const r of contributions) if (r.code !== 0) throw new Error(`contribute failed:\n${r.out}`);
  const fin = await run(bun, [main, "admin", "finalize", "--yes", "--beacon", "ab".repeat(32), "--coordinator", url, "--key", join(dir, "data", "admin.key")]);
  if (fin.code !== 0) throw new Error(fin.out);
  for (;;) {
    const s = (await (await fetch(`${url}/v1/status`)).json()) as { phase: string };
    if (s.phase === "finalized") break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`ceremony: power ${power}, chunk size ${chunkSize}, ${contributors} contributors + beacon in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  execFileSync("git", ["clone", "-q", `${url}/transcript.git`, "clone"], { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir } });
  await writeFile(join(dir, "final.ptau"), new Uint8Array(await (await fetch(`${url}/v1/ceremony/final.ptau`)).arrayBuffer()));
  const oursTimes: number[] = [];
  const theirsTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const ours = await run(binary, ["verify-transcript", join(dir, "clone")]);
    if (ours.code !== 0) throw new Error(`verify-transcript failed:\n${ours.out}`);
    oursTimes.push(ours.seconds);
    const theirs = await run(process.env.NODE ?? "node", [join(root, "node_modules", "snarkjs", "build", "cli.cjs"), "powersoftau", "verify", join(dir, "final.ptau")]);
    if (theirs.code !== 0 || !theirs.out.includes("Powers of Tau Ok!")) throw new Error(`snarkjs verify failed:\n${theirs.out}`);
    theirsTimes.push(theirs.seconds);
  }
  const ours = { seconds: median(oursTimes) };
  const theirs = { seconds: median(theirsTimes) };
  console.log(`runs: ours ${oursTimes.map((t) => t.toFixed(2)).join(", ")} s; snarkjs ${theirsTimes.map((t) => t.toFixed(2)).join(", ")} s (medians below)`);
  console.log("| check | seconds | what it covers |");
  console.log("|---|---|---|");
  console.log(`| ceremony verify-transcript (compiled binary) | ${ours.seconds.toFixed(2)} | every event, every chunk of every contribution re-verified, rounds, beacon re-applied, final file rebuilt |`);
  console.log(`| snarkjs powersoftau verify | ${theirs.seconds.toFixed(2)} | the final file: records' proofs, final points by random combination |`);
  console.log(`ratio verify-transcript / snarkjs verify: ${(ours.seconds / theirs.seconds).toFixed(2)}× (for ${contributors} contributions + beacon)`);
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.on("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  if (values.keep) console.log(`kept ${dir} (clone/, final.ptau)`);
  else await rm(dir, { recursive: true, force: true });
}

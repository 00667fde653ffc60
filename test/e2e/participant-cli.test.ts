// The participant's command line through the compiled binary, as a person uses it: mistyped commands and flags, a
// dead port and an unknown host, Ctrl-C while queued and in a round (signals sent to real processes), a re-run whose
// round secret died with a killed run, a banned key, and what lands on stdout (the receipt's path, or JSON).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, writeKeyFile } from "../../src/auth/keys.ts";
import type { Receipt } from "../../src/transcript/receipt.ts";
import { contribute, status, type Ceremony } from "../helpers/actions.ts";
import { freePort, installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";

let c: Ceremony;
let server: Running | null = null;
let numChunks = 0;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-participant-cli-"));
  const bin = await installBinary(dir);
  // Enough chunks that a contributor is still at work when the test interrupts it.
  const s = await startServe(bin, dir, [
    "--preset", "test", "--data", join(dir, "data"), "--port", "0", "--power", "6", "--chunk-size", "4",
    "--contributors-per-round", "2", "--round-start-wait-ms", "1500", "--heartbeat-timeout-ms", "60000", "--replacement-contributors", "1",
  ]);
  server = s;
  c = { bin, dir, url: s.url };
  numChunks = ((await (await fetch(`${c.url}/v1/ceremony`)).json()) as { numChunks: number }).numChunks;
}, 120_000);

afterAll(async () => {
  await kill(server);
  await rm(c.dir, { recursive: true, force: true });
});

async function keyFile(name: string): Promise<{ file: string; publicKey: string }> {
  const key = generateKeyPair();
  const file = join(c.dir, `${name}.key`);
  await writeKeyFile(file, key);
  return { file, publicKey: key.publicKey };
}

async function receiptsOf(publicKey: string): Promise<Receipt[]> {
  return ((await (await fetch(`${c.url}/v1/receipts/${publicKey}`)).json()) as { receipts: Receipt[] }).receipts;
}

const inRound = async (publicKey: string): Promise<boolean> => ((await status(c)).round as { contributors?: string[] } | null)?.contributors?.includes(publicKey) ?? false;

describe("mistakes get one line, and a hint", () => {
  it("--version, a mistyped command, a mistyped flag, entropy on the command line", async () => {
    const version = await runBinary(c.bin, c.dir, ["--version"]).done;
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^ceremony \d+\.\d+\.\d+ /);
    const command = await runBinary(c.bin, c.dir, ["contribte"]).done;
    expect(command.code).toBe(2);
    expect(command.out.trim()).toBe('ceremony: unknown command "contribte" (did you mean contribute?); run `ceremony --help`');
    const flag = await runBinary(c.bin, c.dir, ["contribute", "--coordinatr", c.url]).done;
    expect(flag.code).toBe(2);
    expect(flag.out).toContain("unknown option --coordinatr (did you mean --coordinator?)");
    const entropy = await runBinary(c.bin, c.dir, ["contribute", "--coordinator", c.url, "--entropy", "secret"]).done;
    expect(entropy.code).toBe(2);
    expect(entropy.out).toContain("unknown option --entropy (did you mean --entropy-file?)");
    expect(entropy.out.trim().split("\n")).toHaveLength(1);
  });

  it("asks for entropy on a terminal without echoing it (a real pty, by script(1))", async () => {
    const typed = "correct horse battery staple";
    const p = spawn("script", ["-qec", `${c.bin} contribute --coordinator ${c.url} --poll-ms 50`, "/dev/null"], { cwd: c.dir, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await until("the prompt", () => out.includes("extra entropy (not shown; Enter to skip)"), 30_000);
    p.stdin.write(`${typed}\r`);
    await until("the contributor going on", () => out.includes("as participant"), 30_000);
    expect(out).not.toContain(typed);
    // Ctrl-C typed on the terminal reaches it as SIGINT: it leaves (the queue, or the round it may be in by now).
    const exited = new Promise<number | null>((resolve) => p.on("exit", resolve));
    await until("joined", () => /place \d+ of \d+ in the queue|round \d+:/.test(out), 30_000);
    p.stdin.write("\u0003");
    await exited;
    expect(out).toMatch(/SIGINT: (left the queue|gave up this position|every chunk is uploaded)/);
  }, 60_000);

  it("fails within seconds on a refused connection and on an unknown host", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    let t = Date.now();
    const refused = await runBinary(c.bin, c.dir, ["status", "--coordinator", dead, "--timeout", "2"]).done;
    expect(Date.now() - t).toBeLessThan(8_000);
    expect(refused.code).toBe(1);
    expect(refused.out.trim()).toMatch(/^ceremony: COORDINATOR_UNREACHABLE: cannot reach 127\.0\.0\.1:\d+: connection refused/);
    t = Date.now();
    const unknown = await runBinary(c.bin, c.dir, ["contribute", "--coordinator", "http://no-such-host.invalid"]).done;
    expect(Date.now() - t).toBeLessThan(8_000);
    expect(unknown.code).toBe(1);
    expect(unknown.out.trim()).toBe("ceremony: UNKNOWN_HOST: unknown host no-such-host.invalid");
  });
});

describe("status", () => {
  it("--watch redraws as the round moves, woken by the live feed (its fallback interval is an hour)", async () => {
    const watch = runBinary(c.bin, c.dir, ["status", "--coordinator", c.url, "--watch", "--interval", "3600"]);
    await until("the first status", () => watch.output().includes("phase: "), 30_000);
    const before = (await status(c)).lastRound;
    const one = contribute(c, "--poll-ms", "50");
    const two = contribute(c, "--poll-ms", "50");
    await until("a round drawn with its chunks", () => /round \d+: started .*\n  contributors, in order: 1\. /.test(watch.output()), 60_000);
    expect((await one.done).code).toBe(0);
    expect((await two.done).code).toBe(0);
    await until("the aggregation drawn", () => watch.output().includes(`rounds aggregated: ${before + 1}`), 60_000);
    expect(watch.output()).toMatch(/  chunk  uploaded  verified  locked by/);
    await kill(watch, "SIGINT");
  }, 180_000);
});

/**
 * Stops a contributor (SIGSTOP) once it has uploaded its first chunk, and waits for that chunk's receipt: on a fast
 * machine a free-running one uploads every chunk before a signal could land mid-round.
 */
async function holdAfterAReceipt(run: ReturnType<typeof contribute>, publicKey: string): Promise<void> {
  await until("its first upload", () => /chunk 1\/\d+: downloaded .* uploaded/.test(run.output()), 120_000);
  run.process.kill("SIGSTOP");
  await until("a receipt", async () => (await receiptsOf(publicKey)).length > 0, 60_000);
}

describe("Ctrl-C", () => {
  it("while queued leaves the queue at once; in a round gives up the position at once, keeping no receipt; the other finishes", async () => {
    const a = await keyFile("a");
    const b = await keyFile("b");
    const droppedBefore = (await status(c)).dropped;
    const first = contribute(c, "--key", a.file, "--poll-ms", "50", "--no-prompt");
    const second = contribute(c, "--key", b.file, "--poll-ms", "50", "--json");
    await until("both in a round", async () => (await inRound(a.publicKey)) && (await inRound(b.publicKey)), 60_000);

    // A third joins behind the full round, sees its place, and leaves on Ctrl-C.
    const queued = contribute(c, "--poll-ms", "50");
    await until("its place in the queue", () => /place 1 of 1 in the queue/.test(queued.output()), 30_000);
    queued.process.kill("SIGINT");
    const q = await queued.done;
    expect(q.code, q.out).toBe(130);
    expect(q.out).toContain("SIGINT: left the queue");
    expect((await status(c)).queue.length).toBe(0);

    // The first, once one of its contributions is verified (it holds a receipt), is interrupted mid-round.
    await holdAfterAReceipt(first, a.publicKey);
    const t = Date.now();
    first.process.kill("SIGINT");
    first.process.kill("SIGCONT");
    const f = await first.done;
    expect(f.code, f.out).toBe(130);
    expect(f.out).toContain("SIGINT: gave up this position in the round");
    // Dropped now, not after the 60 s heartbeat timeout; its discarded work leaves no receipt behind.
    await until("the drop", async () => (await status(c)).dropped === droppedBefore + 1, 10_000);
    expect(Date.now() - t).toBeLessThan(10_000);
    await until("its receipts withdrawn (once the drop is committed)", async () => (await receiptsOf(a.publicKey)).length === 0, 10_000);

    // The second finishes with the replacement; stdout is its receipts as JSON (progress went to stderr).
    const s = await second.done;
    expect(s.code, s.out).toBe(0);
    const stdout = s.out.split("\n").filter((l) => l.startsWith("{"));
    expect(stdout).toHaveLength(1);
    const { file, receipts } = JSON.parse(stdout[0] as string) as { file: string; receipts: Receipt[] };
    expect(receipts).toHaveLength(numChunks);
    expect(JSON.parse(await readFile(join(c.dir, file), "utf8"))).toEqual(receipts);
  }, 300_000);

  it("a re-run whose round secret died with a killed run says so, gives up the position and contributes in a later round", async () => {
    const k = await keyFile("k");
    const victim = contribute(c, "--key", k.file, "--poll-ms", "50");
    const other = contribute(c, "--poll-ms", "50");
    await holdAfterAReceipt(victim, k.publicKey);
    const before = await receiptsOf(k.publicKey);
    const killedIn = before[0]?.round ?? 0;
    await kill(victim);
    const rerun = contribute(c, "--key", k.file, "--poll-ms", "50", "--receipt", "rerun.json");
    const r = await rerun.done;
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`the secret of round ${killedIn} is gone with the run that made it`);
    // Only the later round's receipts: the discarded ones are gone from the coordinator too.
    expect(r.out.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("contribute: "))).toEqual(["rerun.json"]);
    const saved = JSON.parse(await readFile(join(c.dir, "rerun.json"), "utf8")) as Receipt[];
    expect(saved).toHaveLength(numChunks);
    expect(new Set(saved.map((x) => x.round)).size).toBe(1);
    // A later round, or the same round restarted without the position it gave up: none of the killed run's work.
    expect(saved[0]?.round).toBeGreaterThanOrEqual(killedIn);
    const discarded = new Set(before.map((x) => x.hash));
    expect(saved.filter((x) => discarded.has(x.hash))).toEqual([]);
    expect(await receiptsOf(k.publicKey)).toEqual(saved);
    const o = await other.done;
    expect(o.code, o.out).toBe(0);
  }, 400_000);

  it("a banned participant's contribute exits non-zero with the code", async () => {
    const e = await keyFile("e");
    const ban = await runBinary(c.bin, c.dir, ["admin", "ban", e.publicKey, "--coordinator", c.url, "--key", join(c.dir, "data", "admin.key"), "--reason", "test"]).done;
    expect(ban.code, ban.out).toBe(0);
    const r = await contribute(c, "--key", e.file, "--poll-ms", "50").done;
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/ceremony: BANNED: /);
  }, 60_000);
});

// The whole ceremony through the compiled binary, as operators and participants run it: serve on the dev preset,
// three contributors at once, round 1 aggregated; the transcript cloned with the git CLI, fsck-clean and verified;
// the coordinator stopped and restored from that clone into an empty folder; round 2 opened there by a fourth
// contributor, admin finalize with a beacon while it runs, the published .ptau checked by snarkjs, the final
// transcript verified and a receipt proven.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloneTranscript, contribute, finalize, finalPtauVerifies, status, verifyTranscript, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";

let c: Ceremony;
let server: Running | null = null;

async function serve(...args: string[]): Promise<void> {
  const s = await startServe(c.bin, c.dir, ["--preset", "dev", "--port", "0", ...args]);
  server = s;
  c.url = s.url;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-e2e-"));
  c = { bin: await installBinary(dir), dir, url: "" };
  await serve("--data", join(dir, "data"));
}, 180_000);

afterAll(async () => {
  await kill(server, "SIGTERM");
  await rm(c.dir, { recursive: true, force: true });
});

describe("compiled binary, dev preset", () => {
  it("runs from a folder without node_modules and prints its commands", async () => {
    const r = await runBinary(c.bin, c.dir, ["--help"]).done;
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/contribute --coordinator URL/);
  });

  it("three contributors complete round 1; transcript cloned, verified, restored; round 2; finalize; snarkjs verifies", async () => {
    for (const i of [1, 2, 3]) await writeFile(join(c.dir, `entropy-${i}`), `contributor ${i}: ${Math.random()}`);
    const three = await Promise.all([1, 2, 3].map((i) => contribute(c, "--entropy-file", `entropy-${i}`, "--poll-ms", "100").done));
    for (const r of three) {
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/signed receipt\(s\) saved/);
    }
    await until("round 1 aggregated", async () => (await status(c)).lastRound === 1);

    // The transcript, cloned with the git CLI over HTTP, is fsck-clean and verifies.
    const round1 = cloneTranscript(c, "round1");
    const v1 = await verifyTranscript(c, round1);
    expect(v1.code, v1.out).toBe(0);

    // Stop the coordinator; restore it from the clone into an empty folder (with its key) and carry on.
    await kill(server, "SIGTERM");
    await mkdir(join(c.dir, "restored"));
    await copyFile(join(c.dir, "data", "coordinator.key"), join(c.dir, "restored", "coordinator.key"));
    const admin = JSON.parse(await readFile(join(c.dir, "data", "admin.key"), "utf8")) as { publicKey: string };
    await serve("--data", join(c.dir, "restored"), "--restore-from", round1, "--admin", admin.publicKey);
    expect((await status(c)).lastRound).toBe(1);

    await runBinary(c.bin, c.dir, ["keygen", "--out", join(c.dir, "fourth.key")]).done;
    const fourth = contribute(c, "--key", join(c.dir, "fourth.key"), "--poll-ms", "100", "--receipt", join(c.dir, "fourth-receipt.json"));
    await until("round 2 open", async () => (await status(c)).round?.number === 2);

    const fin = await finalize(c, join(c.dir, "data", "admin.key"));
    expect(fin.code, fin.out).toBe(0);
    expect((await fourth.done).code).toBe(0);
    await until("finalized", async () => (await status(c)).phase === "finalized", 180_000);

    const v = await finalPtauVerifies(c);
    expect(v.status).toBe(200);
    expect(v.ok, v.output).toBe(true);
    expect(v.output).toMatch(/Contribution #5/);

    const final = cloneTranscript(c, "final");
    const vt = await verifyTranscript(c, final);
    expect(vt.code, vt.out).toBe(0);
    expect(vt.out).toMatch(/2 rounds aggregated/);
    const receipts = JSON.parse(await readFile(join(c.dir, "fourth-receipt.json"), "utf8")) as unknown[];
    expect(receipts.length).toBe(8);
    await writeFile(join(c.dir, "one-receipt.json"), JSON.stringify(receipts[3]));
    const vr = await runBinary(c.bin, c.dir, ["verify-receipt", join(c.dir, "one-receipt.json"), "--transcript", final]).done;
    expect(vr.code, vr.out).toBe(0);

    const bad = await finalize(c, join(c.dir, "fourth.key"));
    expect(bad.code).not.toBe(0);
    expect(bad.out.trim().split("\n")).toHaveLength(1);
  }, 300_000);
});

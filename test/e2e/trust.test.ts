// Operator and participant safety through the compiled binary: one coordinator per data folder; finalize refuses
// before any round is aggregated and a weak beacon; a stranger's verify-worker is refused; a contributor re-run
// after contributing is told so and exits non-zero; invitation tokens admit once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BEACON, contribute, finalize, status, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";

let c: Ceremony;
let server: Running | null = null;
const data = () => join(c.dir, "data");
const adminKey = () => join(data(), "admin.key");
const oneLine = (out: string): string => {
  const lines = out.trim().split("\n");
  expect(lines, out).toHaveLength(1);
  return lines[0] ?? "";
};

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-trust-e2e-"));
  const bin = await installBinary(dir);
  c = { bin, dir, url: "" };
  const s = await startServe(bin, dir, ["--preset", "test", "--data", join(dir, "data"), "--port", "0", "--contributors-per-round", "1"]);
  server = s;
  c.url = s.url;
}, 120_000);

afterAll(async () => {
  await kill(server, "SIGTERM");
  await rm(c.dir, { recursive: true, force: true });
});

describe("operator safety", () => {
  it("a second serve on the same data folder prints one line and exits non-zero", async () => {
    const second = await runBinary(c.bin, c.dir, ["serve", "--preset", "test", "--data", data(), "--port", "0"]).done;
    expect(second.code).not.toBe(0);
    expect(oneLine(second.out)).toMatch(/is in use by process \d+/);
  });
  it("finalize refuses before any round is aggregated, a short beacon and a huge iteration exponent", async () => {
    const early = await finalize(c, adminKey());
    expect(early.code).not.toBe(0);
    expect(oneLine(early.out)).toMatch(/NO_AGGREGATED_ROUND/);
    const short = await finalize(c, adminKey(), "0102");
    expect(short.code).not.toBe(0);
    expect(oneLine(short.out)).toMatch(/--beacon must be 32 to 64 bytes/);
    const huge = await runBinary(c.bin, c.dir, ["admin", "finalize", "--yes", "--beacon", BEACON, "--iterations", "40", "--coordinator", c.url, "--key", adminKey()]).done;
    expect(huge.code).not.toBe(0);
    expect(oneLine(huge.out)).toMatch(/--iterations must be an integer in 0\.\.24/);
    expect((await status(c)).phase).toBe("waiting");
  });
});

describe("participants", () => {
  it("a stranger's verify-worker is refused with one line", async () => {
    await runBinary(c.bin, c.dir, ["keygen", "--out", join(c.dir, "stranger.key")]).done;
    const w = await runBinary(c.bin, c.dir, ["verify-worker", "--coordinator", c.url, "--key", join(c.dir, "stranger.key"), "--once"]).done;
    expect(w.code).not.toBe(0);
    expect(oneLine(w.out)).toMatch(/NOT_A_VERIFIER/);
  });
  it("a contributor that already contributed is told so and exits non-zero, and is not queued again", async () => {
    await runBinary(c.bin, c.dir, ["keygen", "--out", join(c.dir, "alice.key")]).done;
    const first = await contribute(c, "--key", join(c.dir, "alice.key"), "--poll-ms", "50", "--receipt", join(c.dir, "alice-receipt.json")).done;
    expect(first.code, first.out).toBe(0);
    await until("round 1 aggregated", async () => (await status(c)).lastRound === 1);
    const again = await contribute(c, "--key", join(c.dir, "alice.key"), "--poll-ms", "50").done;
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/ALREADY_CONTRIBUTED/);
    expect((await status(c)).queue.length).toBe(0);
  }, 120_000);
});

describe("admission by invitation token", () => {
  it("admin invite prints tokens; one admits one contribution; reused, it is refused", async () => {
    const dir = join(c.dir, "tokens");
    const s = await startServe(c.bin, c.dir, ["--preset", "test", "--data", dir, "--port", "0", "--contributors-per-round", "1", "--identity", "token"]);
    const t: Ceremony = { ...c, url: s.url };
    try {
      const invite = await runBinary(c.bin, c.dir, ["admin", "invite", "--count", "2", "--coordinator", t.url, "--key", join(dir, "admin.key")]).done;
      expect(invite.code, invite.out).toBe(0);
      const tokens = invite.out.split("\n").filter((l) => /^cer_[a-z2-7]{32}$/.test(l));
      expect(tokens).toHaveLength(2);
      const none = await contribute(t, "--poll-ms", "50").done;
      expect(none.code).not.toBe(0);
      expect(none.out).toMatch(/IDENTITY_REQUIRED/);
      const used = await contribute(t, "--token", tokens[0] as string, "--poll-ms", "50").done;
      expect(used.code, used.out).toBe(0);
      await until("round 1 aggregated", async () => (await status(t)).lastRound === 1);
      const reused = await contribute(t, "--token", tokens[0] as string, "--poll-ms", "50").done;
      expect(reused.code).not.toBe(0);
      expect(reused.out).toMatch(/ALREADY_CONTRIBUTED: this invitation was already used/);
    } finally {
      await kill(s, "SIGTERM");
    }
  }, 180_000);
});

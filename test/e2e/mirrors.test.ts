// Certified mirrors through the compiled binary: a coordinator (test preset) and three `ceremony mirror` processes
// beside a real ceremony; one mirror is killed with -9 mid-ceremony, a fourth joins late, catches up and signs. The
// final .ptau's commit is certified by the mirrors alive, although the coordinator restarted, finalized and so
// read-only, between the first statements on it and the last; status shows the dead one behind; verify-transcript
// checks every certificate; blst (an independent BLS implementation) verifies each aggregate.
import * as blst from "@chainsafe/blst";
import { hexToBytes } from "@noble/hashes/utils.js";
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Status } from "../../src/api/schemas.ts";
import { FolderSource } from "../../src/audit/source.ts";
import { parseCertificate } from "../../src/certificates/certificate.ts";
import { cloneTranscript, contribute, finalize, verifyTranscript, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";

let c: Ceremony;
const running: Running[] = [];

async function status(): Promise<Status> {
  return (await (await fetch(`${c.url}/v1/status`)).json()) as Status;
}

/** What the status says of one mirror member (undefined until it is one). */
async function memberOf(key: string): Promise<NonNullable<Status["mirrors"]>["members"][number] | undefined> {
  return (await status()).mirrors?.members.find((x) => x.key === key);
}

async function startMirror(name: string): Promise<Running & { url: string; key: string }> {
  const keyFile = join(c.dir, `${name}.key`);
  const made = await runBinary(c.bin, c.dir, ["keygen", "--bls", "--out", keyFile]).done;
  expect(made.code, made.out).toBe(0);
  const key = (JSON.parse(await readFile(keyFile, "utf8")) as { publicKey: string }).publicKey;
  const r = runBinary(c.bin, c.dir, ["mirror", "--coordinator", c.url, "--data", join(c.dir, name), "--key", keyFile, "--port", "0", "--poll-ms", "500"]);
  running.push(r);
  const end = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (http:\/\/[^\s;]+)/.exec(r.output());
    if (m?.[1]) return { ...r, url: m[1], key };
    if (Date.now() > end || r.process.exitCode !== null) throw new Error(`mirror did not start:\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

let serving: Running | null = null;

/** Starts the coordinator: on a free port the first time, then on the same one (the mirrors follow its URL). */
async function serve(): Promise<void> {
  const port = c.url === "" ? "0" : new URL(c.url).port;
  const s = await startServe(c.bin, c.dir, [
    // Timeouts far above what a loaded machine needs: this test is about the mirrors, not about dropping the slow.
    "--preset", "test", "--port", port, "--data", join(c.dir, "data"), "--heartbeat-timeout-ms", "60000", "--lock-timeout-ms", "600000", "--turn-timeout-ms", "600000",
  ]);
  running.push(s);
  serving = s;
  c.url = s.url;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-e2e-mirrors-"));
  c = { bin: await installBinary(dir), dir, url: "" };
  await serve();
}, 180_000);

afterAll(async () => {
  // Each process is asked to stop, then killed if it has not within 15 s.
  await Promise.all(
    running.map(async (r) => {
      const timer = setTimeout(() => r.process.kill("SIGKILL"), 15_000);
      await kill(r, "SIGTERM");
      clearTimeout(timer);
    }),
  );
  await rm(c.dir, { recursive: true, force: true });
}, 60_000);

describe("certified mirrors through the compiled binary", () => {
  it("three mirrors, one killed mid-ceremony, one joining late: the final head is certified and every certificate verifies", async () => {
    const [m1, m2, m3] = [await startMirror("m1"), await startMirror("m2"), await startMirror("m3")];
    await until("three members", async () => (await status()).mirrors?.members.length === 3, 60_000);

    const before = (await status()).transcript?.committedSeq ?? 0;
    const contributors = [1, 2, 3].map((i) => contribute(c, "--poll-ms", "100", "--receipt", join(c.dir, `receipt-${i}.json`)));
    running.push(...contributors);
    // Mid-ceremony: once a head the contributors made is certified, and long before finalization.
    await until("a certificate of the round's work", async () => ((await status()).mirrors?.certified?.seq ?? 0) > before + 2);
    // m3 must have signed something before it dies (2 of 3 sign a certificate: it need not be among them), or the
    // status has nothing to show it behind by.
    await until("m3 signing", async () => ((await memberOf(m3.key))?.signedSeq ?? null) !== null);
    await kill(m3);
    for (const r of contributors) {
      const done = await r.done;
      expect(done.code, done.out).toBe(0);
    }
    await until("round 1 aggregated", async () => (await status()).lastRound >= 1);

    const m4 = await startMirror("m4");
    await until("the late mirror admitted", async () => (await status()).mirrors?.members.length === 4, 60_000);
    await until("the late mirror signing", async () => ((await memberOf(m4.key))?.signedSeq ?? null) !== null, 120_000);
    // m4 pauses: m1 and m2 sign the final head, but a certificate needs 3 of the 4 members.
    m4.process.kill("SIGSTOP");
    const fin = await finalize(c, join(c.dir, "data", "admin.key"));
    expect(fin.code, fin.out).toBe(0);
    await until("finalized", async () => (await status()).phase === "finalized", 180_000);
    const transcriptFiles = (under: string): string =>
      execFileSync("git", ["-C", join(c.dir, "data", "transcript"), "ls-tree", "-r", "--name-only", "main", under], { encoding: "utf8" });
    await until("the final .ptau in the transcript", () => transcriptFiles("final").includes("final/"), 180_000);
    const signedFinal = async (key: string): Promise<boolean> => {
      const m = (await status()).mirrors;
      return m?.head !== null && m?.head !== undefined && m.members.find((x) => x.key === key)?.signedCommit === m.head.commit;
    };
    await until("m1 and m2 signed the final head", async () => (await signedFinal(m1.key)) && (await signedFinal(m2.key)), 180_000);

    let m = (await status()).mirrors;
    expect(m?.threshold).toBe(3); // ⌈2·4/3⌉: the three alive must all sign
    expect(m?.certified?.commit).not.toBe(m?.head?.commit);
    const finalHead = m?.head?.commit;
    const dead = m?.members.find((x) => x.key === m3.key);
    expect(dead?.behind).toBeGreaterThan(0);
    const line = await runBinary(c.bin, c.dir, ["status", "--coordinator", c.url]).done;
    expect(line.out).toMatch(new RegExp(`mirror ${m3.key.slice(0, 16)}… \\S+: signed event \\d+, \\d+ behind`));
    expect(line.out).toMatch(/mirrors: epoch \d+, 4 member\(s\), certificates need 3; certified up to event \d+/);

    // The coordinator restarts before the final head is certified: finalized, so served read-only, and forgetting the
    // statements it had. m4 resumes and signs; m1 and m2 sign again (the head is still uncovered): a finalized
    // coordinator must take their statements, or the final .ptau is never certified.
    await kill(serving, "SIGTERM");
    await serve();
    expect((await status()).phase).toBe("finalized");
    m4.process.kill("SIGCONT");
    await until(
      "the final head certified after the restart",
      async () => {
        const now = (await status()).mirrors;
        return now?.certified !== null && now?.certified !== undefined && now.certified.commit === now.head?.commit;
      },
      180_000,
    );

    m = (await status()).mirrors;
    expect(m?.head?.commit).toBe(finalHead);
    expect(m?.certified?.signers.sort()).toEqual([m1.key, m2.key, m4.key].sort());
    expect(m?.members.filter((x) => x.faulty)).toEqual([]);

    // The status shows a certificate once aggregated; its commit follows (on a loaded machine, not at once).
    const certifiedCommit = m?.certified?.commit ?? "";
    await until("the final certificate committed", () => transcriptFiles("certificates").includes(`-${certifiedCommit}.json`));

    // verify-transcript checks every certificate, on the coordinator's transcript and on a mirror's.
    const clone = cloneTranscript(c, "final");
    const v = await verifyTranscript(c, clone);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/certificates: \d+ checked; certified up to event \d+ of \d+ \(commit [0-9a-f]{12}, epoch \d+, 3 signers\); the final \.ptau is certified/);
    const fromMirror = await verifyTranscript(c, `${m4.url}/transcript.git`);
    expect(fromMirror.code, fromMirror.out).toBe(0);

    // blst, independently: each certificate's aggregate is its signers' signature over its message.
    const paths = await new FolderSource(clone).list("certificates");
    expect(paths.length).toBeGreaterThan(2);
    for (const path of paths) {
      const parsed = parseCertificate(await readFile(join(clone, path), "utf8"));
      if (!parsed.ok) throw new Error(parsed.reason);
      const cert = parsed.certificate;
      const keys = cert.signers.map((k) => blst.PublicKey.fromBytes(hexToBytes(k)));
      expect(blst.fastAggregateVerify(hexToBytes(cert.message), keys, blst.Signature.fromBytes(hexToBytes(cert.signature))), path).toBe(true);
    }

    // The binary's verify-transcript fails a copy whose last certificate has one bit of its signature flipped.
    const last = paths.sort().at(-1) ?? "";
    const tampered = join(c.dir, "tampered");
    await cp(clone, tampered, { recursive: true });
    const cert = JSON.parse(await readFile(join(tampered, last), "utf8")) as { signature: string };
    cert.signature = `${cert.signature.slice(0, 40)}${(Number.parseInt(cert.signature[40] ?? "0", 16) ^ 1).toString(16)}${cert.signature.slice(41)}`;
    await writeFile(join(tampered, last), JSON.stringify(cert, null, 2));
    const broken = await verifyTranscript(c, tampered);
    expect(broken.code, broken.out).not.toBe(0);
    expect(broken.out).toContain(`certificate ${last}`);
    expect(broken.out).toMatch(/aggregate signature is not the signers'/);
  }, 900_000);
});

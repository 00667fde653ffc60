// Certified mirrors in one process, over real HTTP and real git: a coordinator (power 3, one round of two
// contributors, the beacon) and three mirrors that fetch, check and sign. Certificates form, the final .ptau's commit
// among them; verify-transcript checks each, and blst (supranational's C library) agrees with every aggregate; each
// tampering of a certificate fails; protocol violations are refused, and the provable ones recorded; a mirror fed a
// tampered transcript signs nothing.
import * as blst from "@chainsafe/blst";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as fs from "node:fs";
import git from "isomorphic-git";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { verifyTranscript } from "../../src/audit/audit.ts";
import { FolderSource } from "../../src/audit/source.ts";
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { blsSign, generateBlsKey, popProve, type BlsKeyPair } from "../../src/bls/bls.ts";
import { parseCertificate, type Certificate } from "../../src/certificates/certificate.ts";
import { registrationBytes, statementBytes, type Statement } from "../../src/certificates/statement.ts";
import { Contributor } from "../../src/client/contributor.ts";
import { InProcessParticipant } from "../../src/client/in-process.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION, type CeremonyEvent } from "../../src/core/model.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { createGitServer } from "../../src/git-http/server.ts";
import { Mirror } from "../../src/mirror/mirror.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { serveOnLoopback, type NodeHttpServer } from "../helpers/node-http.ts";

const execFileAsync = promisify(execFile);
let root: string;
let ops: LocalOps;
let coord: Coordinator;
let api: NodeHttpServer;
const admin = generateKeyPair();
const mirrors: Array<{ key: BlsKeyPair; mirror: Mirror; server: NodeHttpServer; loop: Promise<void> }> = [];
let clone: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function startMirror(name: string, coordinatorUrl: string, key = generateBlsKey()): Promise<(typeof mirrors)[number]> {
  let url = "";
  const mirror = await Mirror.open({ coordinator: coordinatorUrl, dataDir: join(root, name), key, publicUrl: () => url, ops, pollMs: 300, log: () => undefined });
  const server = await serveOnLoopback(mirror.app.fetch);
  url = server.url;
  const m = { key, mirror, server, loop: mirror.run() };
  return m;
}

async function contribute(who: ParticipantKey): Promise<void> {
  const curve = await getCurve();
  const c = new Contributor(new InProcessParticipant(coord.service, who.publicKey), { ops, curve });
  try {
    await c.run(10);
  } finally {
    c.close();
  }
}

/** The git CLI, run without blocking: the servers it talks to live in this process. */
async function gitCli(...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? "", HOME: root, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
  return (await execFileAsync("git", args, { env, encoding: "utf8" })).stdout;
}

async function post(path: string, json: unknown): Promise<{ status: number; body: { error?: { code: string }; certified?: boolean } }> {
  const res = await fetch(`${api.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
}

function certificateFiles(dir: string): Promise<Array<{ path: string; certificate: Certificate }>> {
  const source = new FolderSource(dir);
  return source.list("certificates").then((paths) =>
    Promise.all(
      paths.map(async (path) => {
        const parsed = parseCertificate(await readFile(join(dir, path), "utf8"));
        if (!parsed.ok) throw new Error(parsed.reason);
        return { path, certificate: parsed.certificate };
      }),
    ),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-mirrors-"));
  ops = await LocalOps.create();
  coord = await Coordinator.open({
    dataDir: join(root, "data"),
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 600_000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 20,
    verifiers: 1,
    coordinatorKey: generateKeyPair(),
    ops,
    transcript: { externalThresholdBytes: 1 << 30, publicUrl: () => api?.url ?? "", remotes: [], backupCron: "0 0 0 1 1 *", fsync: false },
    mirrors: { admitOnRegistration: true, threshold: 0 },
  });
  coord.start();
  api = await serveOnLoopback(createApp(coord.service, { replay: new ReplayGuard(), transcriptRepo: join(root, "data", "transcript") }).fetch);
  for (const name of ["m1", "m2", "m3"]) mirrors.push(await startMirror(name, api.url));
  await until("three members", () => (coord.state() as { mirrors?: { epoch: { members: string[] } } }).mirrors?.epoch.members.length === 3);

  const people = [generateKeyPair(), generateKeyPair()];
  for (const p of people) await coord.execute({ type: "JoinQueue", now: Date.now(), participant: p.publicKey, role: "contributor" });
  await Promise.all(people.map((p) => contribute(p)));
  await until("round 1 aggregated", () => coord.state().phase === "waiting" && (coord.state() as { lastRound: number }).lastRound === 1);
  await coord.execute({ type: "Finalize", now: Date.now(), actor: admin.publicKey, beacon: { hash: "ab".repeat(32), numIterationsExp: 4 } });
  await until("finalized", () => coord.state().phase === "finalized");
  // The final .ptau's commit is the last signable head (the transcript may lag the log): wait until it is certified.
  await until("the final head certified", async () => {
    const m = coord.service.mirrorsStatus();
    if (m.certified === null || m.head === null || m.certified.commit !== m.head.commit) return false;
    return git.readBlob({ fs, gitdir: join(root, "data", "transcript", ".git"), oid: m.head.commit, filepath: "final/final.ptau" }).then(
      () => true,
      () => false,
    );
  });
  await coord.certification?.flush();
  clone = join(root, "clone");
  await gitCli("clone", "-q", `${api.url}/transcript.git`, clone);
}, 600_000);

afterAll(async () => {
  for (const m of mirrors) {
    await m.mirror.close();
    await m.loop;
    await m.server.close();
  }
  await api?.close();
  await coord?.close();
  await closeCurve();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("certified mirrors", () => {
  it("certify heads as the ceremony goes, the final .ptau's commit included; verify-transcript checks every certificate", async () => {
    const lines: string[] = [];
    const verdict = await verifyTranscript(clone, { ops, progress: (l) => lines.push(l) });
    expect(verdict.failure).toBeUndefined();
    const c = verdict.summary.certificates;
    expect(c.count).toBeGreaterThan(3);
    expect(c.finalCertified).toBe(true);
    expect(c.latest?.seq).toBe(verdict.summary.events);
    expect(Object.keys(c.bySigner).sort()).toEqual(mirrors.map((m) => m.key.publicKey).sort());
    expect(lines.some((l) => /^certificates: \d+ checked; certified up to event \d+ of \d+ .*the final \.ptau is certified/.test(l))).toBe(true);
    // Every mirror serves what it checked; a clone of one verifies as well.
    const fromMirror = join(root, "from-mirror");
    await gitCli("clone", "-q", `${mirrors[1]?.server.url}/transcript.git`, fromMirror);
    expect((await verifyTranscript(fromMirror, { ops })).ok).toBe(true);
  });

  it("every certificate's aggregate verifies under blst, and each signer's own signature is part of it", async () => {
    const files = await certificateFiles(clone);
    expect(files.length).toBeGreaterThan(3);
    for (const { certificate: c } of files) {
      const keys = c.signers.map((k) => blst.PublicKey.fromBytes(hexToBytes(k)));
      expect(blst.fastAggregateVerify(hexToBytes(c.message), keys, blst.Signature.fromBytes(hexToBytes(c.signature)))).toBe(true);
      expect(c.signers.length).toBeGreaterThanOrEqual(c.threshold);
      expect(blst.fastAggregateVerify(hexToBytes(c.message), keys.slice(1), blst.Signature.fromBytes(hexToBytes(c.signature)))).toBe(false);
    }
  });

  describe("a tampered certificate fails verify-transcript", () => {
    let copies = 0;
    /** A copy of the clone with the latest certificate changed by `change`. */
    async function tampered(change: (c: Certificate, all: Certificate[]) => Certificate): Promise<{ dir: string; path: string }> {
      const dir = join(root, `tampered-${++copies}`);
      await cp(clone, dir, { recursive: true });
      const files = await certificateFiles(dir);
      const latest = files.sort((a, b) => a.certificate.seq - b.certificate.seq).at(-1);
      if (!latest) throw new Error("no certificate");
      await writeFile(join(dir, latest.path), JSON.stringify(change(latest.certificate, files.map((f) => f.certificate)), null, 2));
      return { dir, path: latest.path };
    }
    const restate = (c: Certificate, s: Partial<Statement>): string => bytesToHex(statementBytes({ ceremonyId: c.ceremonyId, epoch: c.epoch, seq: c.seq, commit: c.commit, tree: c.tree, ...s }));
    async function fails(t: { dir: string; path: string }, message: RegExp): Promise<void> {
      const verdict = await verifyTranscript(t.dir, { ops });
      expect(verdict.ok).toBe(false);
      expect(verdict.failure?.step).toBe(`certificate ${t.path}`);
      expect(verdict.failure?.message).toMatch(message);
    }

    it("a flipped bit of the signature", async () => {
      await fails(await tampered((c) => ({ ...c, signature: `${c.signature.slice(0, 100)}${(Number.parseInt(c.signature[100] ?? "0", 16) ^ 1).toString(16)}${c.signature.slice(101)}` })), /aggregate signature is not the signers'/);
    });

    it("a wrong signer list", async () => {
      const others = mirrors.map((m) => m.key.publicKey);
      await fails(
        await tampered((c) => {
          const outsider = others.find((k) => !c.signers.includes(k));
          const members = others.filter((k) => c.signers.includes(k) || k === outsider);
          return { ...c, signers: members.filter((k) => k !== c.signers[0]) };
        }),
        /aggregate signature is not the signers'/,
      );
    });

    it("below the threshold", async () => {
      await fails(await tampered((c) => ({ ...c, signers: c.signers.slice(1) })), /below epoch \d+'s threshold/);
    });

    it("a wrong epoch, restated", async () => {
      await fails(await tampered((c) => ({ ...c, epoch: c.epoch - 1, message: restate(c, { epoch: c.epoch - 1 }) })), /epoch \d+ was in force at event \d+, not epoch \d+/);
    });

    it("a message for another commit", async () => {
      await fails(
        await tampered((c, all) => {
          const other = all.find((x) => x.commit !== c.commit);
          return { ...c, message: other?.message ?? "" };
        }),
        /the message is not the statement the certificate names/,
      );
    });
  });

  describe("protocol violations", () => {
    /** The latest published head, as a mirror would state it (the epoch in force at its last event, from the log). */
    const head = async (): Promise<Statement> => {
      const m = coord.service.mirrorsStatus();
      const commit = m.head?.commit ?? "";
      const seq = m.head?.seq ?? 0;
      const { commit: c } = await git.readCommit({ fs, gitdir: join(root, "data", "transcript", ".git"), oid: commit });
      const s = coord.state();
      if (s.phase === "setup") throw new Error("not initialized");
      const lines = (await readFile(join(root, "data", "events.jsonl"), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { seq: number; event: CeremonyEvent });
      const epoch = lines.filter((l) => l.seq <= seq).map((l) => l.event).filter((e) => e.type === "EpochStarted").at(-1);
      return { ceremonyId: s.settings.ceremonyId, epoch: epoch?.type === "EpochStarted" ? epoch.epoch : 0, seq, commit, tree: c.tree };
    };
    const statement = (key: BlsKeyPair, s: Statement) => {
      const message = statementBytes(s);
      return { mirror: key.publicKey, message: bytesToHex(message), signature: blsSign(key.secretKey, message) };
    };
    async function register(key: BlsKeyPair): Promise<void> {
      const s = coord.state();
      if (s.phase === "setup") throw new Error("not initialized");
      const url = "http://127.0.0.1:1";
      const r = await post("/v1/mirrors/register", { mirror: key.publicKey, url, pop: popProve(key.secretKey), signature: blsSign(key.secretKey, registrationBytes({ ceremonyId: s.settings.ceremonyId, mirror: key.publicKey, url })) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const events = (): Promise<CeremonyEvent[]> =>
      readFile(join(root, "data", "events.jsonl"), "utf8").then((t) => t.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { event: CeremonyEvent }).event));

    it("refuses a registration without a valid proof of possession", async () => {
      const key = generateBlsKey();
      const other = generateBlsKey();
      const s = coord.state();
      const ceremonyId = s.phase === "setup" ? "" : s.settings.ceremonyId;
      const url = "http://127.0.0.1:2";
      const r = await post("/v1/mirrors/register", { mirror: key.publicKey, url, pop: popProve(other.secretKey), signature: blsSign(key.secretKey, registrationBytes({ ceremonyId, mirror: key.publicKey, url })) });
      expect(r.status).toBe(401);
      expect(r.body.error?.code).toBe("MIRROR_BAD_REGISTRATION");
    });

    it("refuses a bad signature, another ceremony's statement and a replay, without recording them as evidence", async () => {
      const m = mirrors[0];
      if (!m) throw new Error("no mirror");
      const s = await head();
      const bad = { ...statement(m.key, s), signature: statement(generateBlsKey(), s).signature };
      expect((await post("/v1/mirrors/statements", bad)).body.error?.code).toBe("MIRROR_BAD_SIGNATURE");
      const elsewhere = statement(m.key, { ...s, ceremonyId: "cd".repeat(32) });
      expect((await post("/v1/mirrors/statements", elsewhere)).body.error?.code).toBe("MIRROR_WRONG_CEREMONY");
      const once = statement(m.key, s);
      const first = await post("/v1/mirrors/statements", once);
      expect([200, 409]).toContain(first.status);
      const again = await post("/v1/mirrors/statements", once);
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe("MIRROR_REPLAYED");
      expect((await events()).some((e) => e.type === "MirrorMisbehaved")).toBe(false);
      const refusals = coord.service.mirrorsStatus().refusals.counts;
      expect(refusals.MIRROR_BAD_SIGNATURE).toBeGreaterThan(0);
      expect(refusals.MIRROR_WRONG_CEREMONY).toBeGreaterThan(0);
      expect(refusals.MIRROR_REPLAYED).toBeGreaterThan(0);
    });

    it("records a signature over a head never published, and an equivocation with both signatures", async () => {
      const liar = generateBlsKey();
      const equivocator = generateBlsKey();
      await register(liar);
      await register(equivocator);
      // Both admitted, and their epoch published: the head's epoch names them.
      await until("both members", async () => (await head()).epoch >= 5);
      const s = await head();
      const never = await post("/v1/mirrors/statements", statement(liar, { ...s, commit: "12".repeat(20) }));
      expect(never.status).toBe(409);
      expect(never.body.error?.code).toBe("MIRROR_NOT_PUBLISHED");
      const honest = await post("/v1/mirrors/statements", statement(equivocator, s));
      expect(honest.body.error?.code ?? "accepted").toMatch(/^(accepted|MIRROR_STALE)$/);
      const forked = await post("/v1/mirrors/statements", statement(equivocator, { ...s, tree: "34".repeat(20) }));
      expect(forked.body.error?.code).toBe("MIRROR_EQUIVOCATION");
      const recorded = (await events()).filter((e): e is Extract<CeremonyEvent, { type: "MirrorMisbehaved" }> => e.type === "MirrorMisbehaved");
      expect(recorded.map((e) => [e.mirror, e.code, e.statements.length])).toEqual([
        [liar.publicKey, "FALSE_STATEMENT", 1],
        [equivocator.publicKey, "EQUIVOCATION", 2],
      ]);
      // The evidence is the mirror's own: both signatures verify under blst.
      for (const e of recorded) {
        for (const st of e.statements) expect(blst.verify(hexToBytes(st.message), blst.PublicKey.fromBytes(hexToBytes(e.mirror)), blst.Signature.fromBytes(hexToBytes(st.signature)))).toBe(true);
      }
      // A recorded mirror's statements no longer count.
      const after = await post("/v1/mirrors/statements", statement(liar, s));
      expect(after.body.error?.code).toBe("MIRROR_FAULTY");
      expect(coord.service.mirrorsStatus().members.filter((x) => x.faulty).map((x) => x.key).sort()).toEqual([liar.publicKey, equivocator.publicKey].sort());
    });
  });

  it("a mirror fed a tampered transcript refuses it, serves none of it and signs nothing", async () => {
    // The honest transcript, with one chunk file's bytes changed, committed as a history of its own.
    const dir = join(root, "lying");
    await cp(clone, dir, { recursive: true });
    await rm(join(dir, ".git"), { recursive: true, force: true });
    // An uploaded contribution (the verifier recomputes the initial chunks rather than read them).
    const upload = (await readFile(join(root, "data", "events.jsonl"), "utf8")).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { event: CeremonyEvent }).event).find((e) => e.type === "ContributionRecorded");
    if (upload?.type !== "ContributionRecorded") throw new Error("no upload");
    const chunk = `artifacts/${upload.hash.slice(0, 2)}/${upload.hash.slice(2, 4)}/${upload.hash}.chunk`;
    const bytes = await readFile(join(dir, chunk));
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0x40;
    await writeFile(join(dir, chunk), bytes);
    await gitCli("-C", dir, "init", "-q", "-b", "main");
    await gitCli("-C", dir, "add", "-A");
    await gitCli("-C", dir, "-c", "user.name=liar", "-c", "user.email=liar@invalid", "commit", "-q", "-m", "a transcript that lies");
    const statements: unknown[] = [];
    const registrations: unknown[] = [];
    const info = await (await fetch(`${api.url}/v1/ceremony`)).json();
    const lying = new Hono()
      .get("/v1/ceremony", (c) => c.json(info))
      .post("/v1/mirrors/register", async (c) => {
        registrations.push(await c.req.json());
        return c.json({ events: [] });
      })
      .post("/v1/mirrors/statements", async (c) => {
        statements.push(await c.req.json());
        return c.json({ certified: false });
      });
    lying.route("/", createGitServer({ repoDir: dir, log: () => undefined }));
    const server = await serveOnLoopback(lying.fetch);
    const m = await startMirror("fed-lies", server.url);
    try {
      await until("the mirror refuses", () => m.mirror.state().refused !== null, 120_000);
      const state = m.mirror.state();
      expect(state.refused?.message).toMatch(/does not match its hash/);
      expect(state.checked).toBeNull();
      await sleep(500);
      expect(statements).toEqual([]);
      expect(registrations).toEqual([]);
      const served = await git.resolveRef({ fs, gitdir: join(root, "fed-lies", "transcript", ".git"), ref: "refs/heads/main" }).catch(() => null);
      expect(served).toBeNull();
    } finally {
      await m.mirror.close();
      await m.loop;
      await m.server.close();
      await server.close();
    }
  });
});


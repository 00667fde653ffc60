// verify-transcript and verify-receipt on a real transcript: a coordinator run in-process (power 3, two rounds of
// two contributors, one rejected upload, the beacon), committed by the TranscriptWriter with signed receipts and the
// final .ptau, cloned with git; then the honest clone verifies (library, CLI, URL) and each tampering is named.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cp, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { evolve } from "../../src/core/evolve.ts";
import { currentRound, initialState } from "../../src/core/state.ts";
import type { CeremonyEvent, CeremonyState } from "../../src/core/model.ts";
import { chunkHash } from "../../src/crypto/chunk.ts";
import { contributeChunk } from "../../src/crypto/contribute.ts";
import { toHex } from "../../src/crypto/hash.ts";
import { createContributorKey } from "../../src/crypto/keys.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { LocalOps, type CurveOps } from "../../src/crypto/ops.ts";
import { Contributor } from "../../src/client/contributor.ts";
import { InProcessParticipant } from "../../src/client/in-process.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { parseEvent } from "../../src/core/event-schema.ts";
import { decodeLine } from "../../src/store/event-line.ts";
import { createGitServer } from "../../src/git-http/server.ts";
import { eventFileText, eventPath, jsonFileText } from "../../src/transcript/layout.ts";
import { signReceipt, type Receipt } from "../../src/transcript/receipt.ts";
import { verifyReceipts, verifyTranscript, type TranscriptVerdict } from "../../src/audit/audit.ts";
import { localClone } from "../../src/audit/files.ts";
import { TranscriptWriter, type LoggedCeremonyEvent } from "../../src/transcript/writer.ts";
import { serveOnLoopback, type NodeHttpServer } from "../helpers/node-http.ts";
import { snarkjs } from "../helpers/snarkjs.ts";

const run = promisify(execFile);
const BUN = join(process.cwd(), "node_modules/.bin/bun");
const BEACON = { hash: "ab".repeat(32), numIterationsExp: 10 };
/** Chunk-0 contributions (2304 bytes at power 3, chunks of 4) go out as refs; every other chunk stays in the repository. */
const EXTERNAL_THRESHOLD = 2200;

let root: string;
let work: string;
let ops: LocalOps;
const coordinatorKey = generateKeyPair();
const receipts: Receipt[] = [];
let events: LoggedCeremonyEvent[] = [];
let openingCommit = "";

/** Serves artifacts for refs; `tamper` makes it flip a byte of everything it sends. */
const artifactServer = { bytes: new Map<string, Uint8Array>(), tamper: false, server: null as Server | null, url: "" };

async function startArtifactServer(): Promise<void> {
  const server = createServer((req, res) => {
    const hash = /^\/artifacts\/([0-9a-f]{128})$/.exec(req.url ?? "")?.[1];
    const bytes = hash === undefined ? undefined : artifactServer.bytes.get(hash);
    if (!bytes) return void res.writeHead(404).end();
    const body = Buffer.from(bytes);
    if (artifactServer.tamper) flip(body, body.length - 1);
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  artifactServer.server = server;
  artifactServer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function flip(bytes: Uint8Array, i: number, mask = 1): void {
  bytes[i] = (bytes[i] ?? 0) ^ mask;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A contributor on the coordinator's own service; `corruptOnce` uploads chunk 1 with a flipped byte first. */
async function contributor(coord: Coordinator, who: ParticipantKey, corruptOnce: boolean): Promise<void> {
  const curve = await getCurve();
  let corrupt = corruptOnce;
  const c = new Contributor(new InProcessParticipant(coord.service, who.publicKey), {
    ops,
    curve,
    compute: async (parent, slot, key) => {
      const bytes = await contributeChunk(ops, curve, parent, slot, key);
      if (corrupt && slot.chunkIndex === 1) {
        corrupt = false;
        flip(bytes, bytes.length - 1, 0x55);
      }
      return bytes;
    },
  });
  try {
    await c.run(10);
  } finally {
    c.close();
  }
}

/** Runs the ceremony to its end; returns its data folder. */
async function runCeremony(): Promise<{ data: string; coord: Coordinator }> {
  const data = join(root, "data");
  const admin = generateKeyPair();
  const coord = await Coordinator.open({
    dataDir: data,
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 600_000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 20,
    verifiers: 1,
    coordinatorKey,
    ops,
  });
  coord.start();
  const people = [generateKeyPair(), generateKeyPair(), generateKeyPair(), generateKeyPair()];
  for (const p of people) await coord.execute({ type: "JoinQueue", now: Date.now(), participant: p.publicKey, role: "contributor" });
  await Promise.all(people.map((p, i) => contributor(coord, p, i === 0)));
  await until("round 2 aggregated", () => coord.state().phase === "waiting" && (coord.state() as { lastRound: number }).lastRound === 2);
  await coord.execute({ type: "Finalize", now: Date.now(), actor: admin.publicKey, beacon: BEACON });
  await until("finalized", () => coord.state().phase === "finalized");
  return { data, coord };
}

/** Commits the log as the coordinator would: one commit per command, receipts after each verification, the final .ptau. */
async function writeTranscript(data: string, coord: Coordinator, bare: string): Promise<void> {
  const lines = (await readFile(join(data, "events.jsonl"), "utf8")).split("\n").filter((l) => l !== "");
  const groups: LoggedCeremonyEvent[][] = [[]];
  for (const text of lines) {
    const decoded = decodeLine(new TextEncoder().encode(text));
    if (!decoded.ok) throw new Error(decoded.reason);
    parseEvent(decoded.line.event);
    const { seq, time, checksum } = decoded.line;
    const entry = { seq, time, checksum, event: decoded.line.event as CeremonyEvent };
    events.push(entry);
    groups.at(-1)?.push(entry);
    if (!decoded.line.more) groups.push([]);
  }
  const first = events[0]?.event;
  if (first?.type !== "CeremonyInitialized") throw new Error("the log does not start with CeremonyInitialized");
  const { ceremonyId, power, chunkSize, numChunks } = first.settings;
  const writer = await TranscriptWriter.open({
    dir: bare,
    readme: await readFile(new URL("../../transcript/README.md", import.meta.url), "utf8"),
    ceremony: { ceremonyId, power, chunkSize, numChunks, coordinatorKey: coordinatorKey.publicKey },
    artifacts: { get: (hash) => coord.artifacts.get(hash) },
    externalThresholdBytes: EXTERNAL_THRESHOLD,
    externalUrl: (hash) => `${artifactServer.url}/artifacts/${hash}`,
  });
  openingCommit = await writer.head();
  let state: CeremonyState = initialState();
  const filed = new Map<string, Receipt[]>();
  for (const group of groups.filter((g) => g.length > 0)) {
    const oid = await writer.commitEvents(group);
    for (const { event } of group) {
      if (event.type === "ContributionRecorded") artifactServer.bytes.set(event.hash, await coord.artifacts.get(event.hash));
      if (event.type === "ContributionVerified") {
        const chunk = currentRound(state)?.chunks[event.chunk];
        const parentHash = event.position === 0 ? (state as { accumulator: string[] }).accumulator[event.chunk] : chunk?.contributions[event.position - 1]?.hash;
        const participant = chunk?.contributions[event.position]?.contributor;
        if (!parentHash || !participant) throw new Error("verified contribution not found");
        const { round, chunk: k, position, hash } = event;
        const receipt = signReceipt(coordinatorKey, { format: "ceremony-receipt/1", ceremonyId, participant, round, chunk: k, position, hash, parentHash, commit: oid });
        receipts.push(receipt);
        const path = `receipts/${round}/${participant}.json`;
        filed.set(path, [...(filed.get(path) ?? []), receipt]);
      }
      state = evolve(state, event);
    }
    if (group.some((e) => e.event.type === "ContributionVerified")) {
      await writer.commitFiles([...filed].map(([path, list]) => ({ path, bytes: new TextEncoder().encode(jsonFileText(list)) })), "receipts");
    }
    if (group.some((e) => e.event.type === "CeremonyFinalized")) {
      await writer.commitFiles([{ path: "final/final.ptau", bytes: new Uint8Array(await readFile(coord.finalPath)) }], "final .ptau");
    }
  }
}

function git(...args: string[]): string {
  const env = { PATH: process.env.PATH ?? "", HOME: root, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
  return execFileSync("git", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-verify-"));
  ops = await LocalOps.create();
  await startArtifactServer();
  const { data, coord } = await runCeremony();
  try {
    await writeTranscript(data, coord, join(root, "transcript.git"));
  } finally {
    await coord.close();
  }
  work = join(root, "clone");
  git("clone", "-q", join(root, "transcript.git"), work);
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => artifactServer.server?.close(() => resolve()) ?? resolve());
  await closeCurve();
  if (root) await rm(root, { recursive: true, force: true });
});

let copies = 0;
/** A fresh copy of the honest clone to tamper with. */
async function copy(): Promise<string> {
  const dir = join(root, `copy-${++copies}`);
  await cp(work, dir, { recursive: true });
  return dir;
}

/** LocalOps claiming four threads, so that verdicts are re-checked several at a time as with a WorkerPool. */
function wideOps(): CurveOps {
  return {
    parallelism: 4,
    applyKey: (g, points, first, inc) => ops.applyKey(g, points, first, inc),
    checkPoints: (g, points) => ops.checkPoints(g, points),
    msm: (g, points, scalars, scalarBytes) => ops.msm(g, points, scalars, scalarBytes),
    close: async () => undefined,
  };
}

function verify(dir: string, progress?: (line: string) => void): Promise<TranscriptVerdict> {
  return verifyTranscript(dir, { ops: wideOps(), ...(progress ? { progress } : {}) });
}

function seqOf(pred: (e: CeremonyEvent) => boolean, from = 0): number {
  const e = events.find((x) => x.seq > from && pred(x.event));
  if (!e) throw new Error("no such event");
  return e.seq;
}

/** Rewrites event `seq` as an attacker who also recomputes its checksum would. */
async function reseal(dir: string, seq: number, event: CeremonyEvent): Promise<void> {
  const time = events[seq - 1]?.time ?? new Date().toISOString();
  await writeFile(join(dir, eventPath(seq)), eventFileText({ seq, time, event }));
}

function eventAt(seq: number): CeremonyEvent {
  const e = events[seq - 1]?.event;
  if (!e) throw new Error(`no event ${seq}`);
  return e;
}

function expectFailure(verdict: TranscriptVerdict, step: RegExp | string, message: RegExp): void {
  expect(verdict.ok).toBe(false);
  expect(verdict.failure?.step).toMatch(step);
  expect(verdict.failure?.message).toMatch(message);
}

describe("verify-transcript on the honest transcript", () => {
  it("replays every step and matches the final .ptau", async () => {
    const lines: string[] = [];
    const verdict = await verify(work, (l) => lines.push(l));
    expect(verdict.failure).toBeUndefined();
    expect(verdict.ok).toBe(true);
    expect(verdict.summary).toEqual({ events: events.length, rounds: 2, contributions: 17, verifications: 17, rejected: 1, finalized: true, receipts: 16, certificates: { count: 0, latest: null, bySigner: {}, finalCertified: false } });
    expect(lines).toContain(`events ${events.length}/${events.length}`);
    expect(lines).toContain("round 1: 9 verifications re-checked; aggregate and challenge match");
    expect(lines).toContain("round 2: 8 verifications re-checked; aggregate and challenge match");
    expect(lines).toContain("final .ptau matches the transcript");
    expect(lines).toContain(`receipts: ${receipts.length} checked`);
    expect(receipts.length).toBe(16);
  });

  it("exits 0 through the CLI", async () => {
    const { stdout } = await run(BUN, ["src/main.ts", "verify-transcript", work]);
    expect(stdout).toContain("verify-transcript: final .ptau matches the transcript");
    expect(stdout.trim().split("\n").at(-1)).toMatch(/^verify-transcript: OK: \d+ events, 2 rounds aggregated, 17 uploads, 17 verdicts re-checked \(1 rejections\); finalized$/);
  });

  it("clones a URL first (the coordinator's git server)", async () => {
    let server: NodeHttpServer | null = null;
    try {
      server = await serveOnLoopback(createGitServer({ repoDir: work, log: () => undefined }).fetch);
      const clone = await localClone(`${server.url}/transcript.git`);
      try {
        expect((await verify(clone.dir)).ok).toBe(true);
      } finally {
        await clone.cleanup();
      }
    } finally {
      await server?.close();
    }
  });
});

describe("verify-transcript names the step a tampering breaks", () => {
  it("a flipped byte in a chunk file", async () => {
    const dir = await copy();
    const seq = seqOf((e) => e.type === "ContributionRecorded" && e.round === 2 && e.chunk === 2);
    const recorded = eventAt(seq) as Extract<CeremonyEvent, { type: "ContributionRecorded" }>;
    const path = join(dir, "artifacts", recorded.hash.slice(0, 2), recorded.hash.slice(2, 4), `${recorded.hash}.chunk`);
    const bytes = await readFile(path);
    flip(bytes, 200);
    await writeFile(path, bytes);
    expectFailure(await verify(dir), `event ${seq} (ContributionRecorded)`, /\.chunk does not match its hash/);
  });

  it("a chunk file fetched through its ref that is not the one named", async () => {
    artifactServer.tamper = true;
    try {
      const seq = seqOf((e) => e.type === "ContributionRecorded" && e.chunk === 0);
      expectFailure(await verify(work), `event ${seq} (ContributionRecorded)`, /sent \d+ bytes hashing to .* not the \d+ bytes of/);
    } finally {
      artifactServer.tamper = false;
    }
  });

  it("a deleted event", async () => {
    const dir = await copy();
    await unlink(join(dir, eventPath(10)));
    expectFailure(await verify(dir), "events", /event 10 is missing: the events jump from 9 to 11/);
  });

  it("two events swapped", async () => {
    const dir = await copy();
    const [a, b] = [join(dir, eventPath(7)), join(dir, eventPath(8))];
    const [textA, textB] = [await readFile(a), await readFile(b)];
    await writeFile(a, textB);
    await writeFile(b, textA);
    expectFailure(await verify(dir), "events", /000000000007\.json: holds event 8, not event 7/);
  });

  it("two events swapped and resealed: a verdict before its upload", async () => {
    const dir = await copy();
    const recorded = seqOf((e) => e.type === "ContributionRecorded");
    const verified = seqOf((e) => e.type === "ContributionVerified");
    await reseal(dir, recorded, eventAt(verified));
    await reseal(dir, verified, eventAt(recorded));
    expectFailure(await verify(dir), `event ${recorded} (ContributionVerified)`, /verdict on a contribution that was not ready/);
  });

  it("a rejection rewritten as an acceptance", async () => {
    const dir = await copy();
    const seq = seqOf((e) => e.type === "ContributionRejected");
    const rejected = eventAt(seq) as Extract<CeremonyEvent, { type: "ContributionRejected" }>;
    const { code: _, ...rest } = rejected;
    await reseal(dir, seq, { ...rest, type: "ContributionVerified" });
    expectFailure(await verify(dir), `event ${seq} (ContributionVerified)`, /the coordinator accepted a contribution, but/);
  });

  it("an aggregate challenge that is not the hash of the data", async () => {
    const dir = await copy();
    const seq = seqOf((e) => e.type === "RoundAggregated");
    const aggregated = eventAt(seq) as Extract<CeremonyEvent, { type: "RoundAggregated" }>;
    await reseal(dir, seq, { ...aggregated, challenge: "00".repeat(64) });
    expectFailure(await verify(dir), `event ${seq} (RoundAggregated)`, /challenge is not the hash of the aggregated accumulator/);
  });

  it("a modified byte in the final .ptau", async () => {
    const dir = await copy();
    const path = join(dir, "final/final.ptau");
    const bytes = await readFile(path);
    flip(bytes, bytes.length - 100);
    await writeFile(path, bytes);
    const seq = seqOf((e) => e.type === "CeremonyFinalized");
    expectFailure(await verify(dir), `event ${seq} (CeremonyFinalized)`, /final\/final\.ptau does not hash to the finalized hash/);
  });

  it("a final .ptau made with another beacon, its hash resealed in the log", async () => {
    const dir = await copy();
    const path = join(dir, "final/final.ptau");
    const other = join(dir, "other.ptau");
    const made = await snarkjs("powersoftau", "beacon", path, other, "cd".repeat(32), "10");
    expect(made.ok, made.output).toBe(true);
    await cp(other, path);
    await unlink(other);
    const seq = seqOf((e) => e.type === "CeremonyFinalized");
    await reseal(dir, seq, { type: "CeremonyFinalized", hash: createHash("blake2b512").update(await readFile(path)).digest("hex") });
    expectFailure(await verify(dir), `event ${seq} (CeremonyFinalized)`, /the \.ptau recomputed from the transcript differs from final\/final\.ptau/);
  });

  it("a ceremony.json of another format", async () => {
    const dir = await copy();
    const json = JSON.parse(await readFile(join(dir, "ceremony.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, "ceremony.json"), JSON.stringify({ ...json, format: "ceremony-transcript/0" }));
    expectFailure(await verify(dir), "ceremony.json", /not a ceremony-transcript\/1 ceremony file/);
  });

  it("a receipt signed by another key", async () => {
    const dir = await copy();
    const { signature: _, ...unsigned } = receipts[0] as Receipt;
    const path = `receipts/${unsigned.round}/${unsigned.participant}.json`;
    await writeFile(join(dir, path), jsonFileText([signReceipt(generateKeyPair(), unsigned)]));
    expectFailure(await verify(dir), `receipt ${path}`, /signature is not the coordinator's/);
  });

  it("a receipt for a contribution that is not in the transcript", async () => {
    const dir = await copy();
    const { signature: _, ...unsigned } = receipts[0] as Receipt;
    const path = `receipts/${unsigned.round}/${unsigned.participant}.json`;
    await writeFile(join(dir, path), jsonFileText([signReceipt(coordinatorKey, { ...unsigned, hash: "ee".repeat(64) })]));
    expectFailure(await verify(dir), `receipt ${path}`, /the transcript verified no contribution/);
  });

  it("a receipt naming a commit that does not hold the verification", async () => {
    const dir = await copy();
    const { signature: _, ...unsigned } = receipts[0] as Receipt;
    const path = `receipts/${unsigned.round}/${unsigned.participant}.json`;
    await writeFile(join(dir, path), jsonFileText([signReceipt(coordinatorKey, { ...unsigned, commit: openingCommit })]));
    expectFailure(await verify(dir), `receipt ${path}`, /does not hold events\/.*, the contribution's verification/);
  });
});

describe("verify-receipt", () => {
  it("shows a receipt's contribution is in the transcript and in the final result", async () => {
    const [verdict] = await verifyReceipts([receipts[5]], work);
    expect(verdict?.ok).toBe(true);
    expect(verdict?.message).toMatch(/verified in commit [0-9a-f]{12}, and in the final result \(record [1-4] of 5 in the final \.ptau\)/);
  });

  it("refuses a forged receipt", async () => {
    const { signature: _, ...unsigned } = receipts[0] as Receipt;
    const [forged, missing] = await verifyReceipts([signReceipt(generateKeyPair(), unsigned), signReceipt(coordinatorKey, { ...unsigned, position: 1 })], work);
    expect(forged).toEqual({ ok: false, message: "receipt: the receipt's signature is not the coordinator's" });
    expect(missing?.ok).toBe(false);
    expect(missing?.message).toMatch(/the transcript verified no contribution/);
  });

  it("refuses, in one line, a receipt whose contribution was erased: the final accumulator does not build on it", async () => {
    // A coordinator (or a rogue verifier it trusted) lets round 2's second contributor build chunk 1 on round 1's
    // result, skipping the first contributor's chunk 1, and keeps the events consistent: the state still says the
    // round was aggregated with the skipped contribution, and its key is in the final .ptau's records.
    const dir = await copy();
    const of = <T extends CeremonyEvent["type"]>(seq: number) => eventAt(seq) as Extract<CeremonyEvent, { type: T }>;
    const first = of<"RoundAggregated">(seqOf((e) => e.type === "RoundAggregated" && e.round === 1));
    const recordedSeq = seqOf((e) => e.type === "ContributionRecorded" && e.round === 2 && e.chunk === 1 && e.position === 1);
    const verifiedSeq = seqOf((e) => e.type === "ContributionVerified" && e.round === 2 && e.chunk === 1 && e.position === 1);
    const aggregatedSeq = seqOf((e) => e.type === "RoundAggregated" && e.round === 2);
    const settings = (events[0]?.event as Extract<CeremonyEvent, { type: "CeremonyInitialized" }>).settings;
    const parentHash = first.accumulator[1] as string;
    const parent = await readFile(join(dir, "artifacts", parentHash.slice(0, 2), parentHash.slice(2, 4), `${parentHash}.chunk`));
    const curve = await getCurve();
    const attacker = createContributorKey(curve, crypto.getRandomValues(new Uint8Array(64)));
    const forged = await contributeChunk(ops, curve, new Uint8Array(parent), { params: settings, chunkIndex: 1, round: 2, contributor: 1 }, attacker);
    const hash = toHex(chunkHash(forged));
    await mkdir(join(dir, "artifacts", hash.slice(0, 2), hash.slice(2, 4)), { recursive: true });
    await writeFile(join(dir, "artifacts", hash.slice(0, 2), hash.slice(2, 4), `${hash}.chunk`), forged);
    await reseal(dir, recordedSeq, { ...of<"ContributionRecorded">(recordedSeq), hash });
    await reseal(dir, verifiedSeq, { ...of<"ContributionVerified">(verifiedSeq), hash });
    const aggregated = of<"RoundAggregated">(aggregatedSeq);
    await reseal(dir, aggregatedSeq, { ...aggregated, accumulator: aggregated.accumulator.map((h, k) => (k === 1 ? hash : h)) });
    const erased = receipts.find((r) => r.round === 2 && r.chunk === 1 && r.position === 0);
    const [verdict] = await verifyReceipts([erased], dir);
    expect(verdict?.ok).toBe(false);
    expect(verdict?.message).toMatch(/^final result: the contribution was erased: the final accumulator's chunk 2 does not build on it/);
    // An untouched contribution of the same round still proves its place.
    const [kept] = await verifyReceipts([receipts.find((r) => r.round === 2 && r.chunk === 2 && r.position === 0)], dir);
    expect(kept?.ok, kept?.message).toBe(true);
  });

  it("through the CLI: one line, exit 0 or 1", async () => {
    const file = join(root, "receipt.json");
    await writeFile(file, JSON.stringify(receipts[3]));
    const ok = await run(BUN, ["src/main.ts", "verify-receipt", file, "--transcript", work]);
    expect(ok.stdout.trim()).toMatch(/^verify-receipt: OK: round \d, chunk \d, contributor \d \([0-9a-f]{16}…\) verified in commit [0-9a-f]{12}, and in the final result/);
    const { signature: _, ...unsigned } = receipts[3] as Receipt;
    await writeFile(file, JSON.stringify(signReceipt(generateKeyPair(), unsigned)));
    const bad = await run(BUN, ["src/main.ts", "verify-receipt", file, "--transcript", work]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stderr.trim()).toBe("ceremony: verify-receipt: INVALID: receipt: the receipt's signature is not the coordinator's");
  });

  it("the CLI names the failing step of a tampered transcript on one line of stderr", async () => {
    const dir = await copy();
    await unlink(join(dir, eventPath(3)));
    const bad = await run(BUN, ["src/main.ts", "verify-transcript", dir]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toBe("ceremony: verify-transcript: FAILED at events: event 3 is missing: the events jump from 2 to 4\n");
  });
});

import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { checksumOf, decodeLine } from "../../src/store/event-line.ts";
import {
  artifactPath,
  eventPath,
  messageFor,
  TranscriptWriter,
  type LoggedCeremonyEvent,
  type TranscriptOptions,
} from "../../src/transcript/writer.ts";
import { useTempDirs } from "../store/temp-dirs.ts";
import { createGitServer } from "../../src/git-http/server.ts";
import { serveOnLoopback } from "../helpers/node-http.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";

const README = await readFile(new URL("../../transcript/README.md", import.meta.url), "utf8");
const CEREMONY = { ceremonyId: "test-ceremony", power: 8, chunkSize: 64, numChunks: 4, coordinatorKey: "c0".repeat(32) };
const ALICE = "4d1f77a5".repeat(8);
const BOB = "b0b0b0b0".repeat(8);
const VERIFIER = "7e7e7e7e".repeat(8);

const execFileAsync = promisify(execFile);
const blake2b = (bytes: Uint8Array) => createHash("blake2b512").update(bytes).digest("hex");
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** A content-addressed artifact source in memory, counting reads. */
function memoryArtifacts() {
  const files = new Map<string, Uint8Array>();
  const reads: string[] = [];
  return {
    files,
    reads,
    add(bytes: Uint8Array): string {
      const hash = blake2b(bytes);
      files.set(hash, bytes);
      return hash;
    },
    async get(hash: string): Promise<Uint8Array> {
      reads.push(hash);
      const bytes = files.get(hash);
      if (bytes === undefined) throw new Error(`no artifact ${hash}`);
      return bytes;
    },
    async size(hash: string): Promise<number> {
      return (await this.get(hash)).length;
    },
  };
}

function logged(seq: number, event: CeremonyEvent): LoggedCeremonyEvent {
  const entry = { seq, time: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(), event };
  return { ...entry, checksum: checksumOf(entry) };
}

/** A log whose `next(events)` hands out the entries of one command, numbered on from the last. */
function logOf(start = 0) {
  let seq = start;
  return (...events: CeremonyEvent[]) => events.map((event) => logged(++seq, event));
}

const settings = { ...CEREMONY, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 1000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [ALICE], coordinator: CEREMONY.coordinatorKey };
const recorded = (chunk: number, position: number, contributor: string, hash: string): CeremonyEvent => ({
  type: "ContributionRecorded",
  round: 1,
  chunk,
  position,
  contributor,
  hash,
  at: 0,
});

describe("transcript writer", () => {
  const tempDir = useTempDirs();

  /** Runs the real git CLI with no user or system configuration and no prompts. */
  async function gitCli() {
    const home = await tempDir();
    const env = { PATH: process.env.PATH ?? "", HOME: home, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
    return (...args: string[]) => execFileSync("git", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  async function setup(overrides: Partial<TranscriptOptions> = {}) {
    const artifacts = memoryArtifacts();
    const dir = join(await tempDir(), "transcript");
    const options: TranscriptOptions = {
      dir,
      readme: README,
      ceremony: CEREMONY,
      artifacts,
      externalThresholdBytes: 64 * 1024,
      externalUrl: (hash) => `https://ceremony.example/artifacts/${hash}`,
      ...overrides,
    };
    return { artifacts, dir, options, git: await gitCli() };
  }

  async function cloneOf(dir: string, git: (...args: string[]) => string): Promise<string> {
    const clone = join(await tempDir(), "clone");
    git("clone", "--quiet", dir, clone);
    return clone;
  }

  it("packs its loose objects as it grows; git fsck stays clean, a clone has every event, and readers never miss one", async () => {
    const { dir, options, git } = await setup({ packEvery: 60 });
    const writer = await TranscriptWriter.open(options);
    const next = logOf();
    // The coordinator's git server reads the same repository while objects move from loose into packs.
    const server = await serveOnLoopback(createGitServer({ repoDir: dir }).fetch);
    const overHttp = join(await tempDir(), "over-http");
    // Asynchronously: the server answers from this same process.
    const home = await tempDir();
    const gitAsync = (...args: string[]) => execFileAsync("git", args, { env: { PATH: process.env.PATH ?? "", HOME: home, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" } });
    try {
      await writer.commitEvents(next({ type: "CeremonyInitialized", settings, accumulator: [], challenge: "00".repeat(64) }));
      for (let i = 0; i < 120; i++) {
        const who = i.toString(16).padStart(64, "0");
        await writer.commitEvents(next({ type: "ParticipantQueued", participant: who, at: i }));
        if (i % 40 === 39) git("-C", dir, "fsck", "--full", "--strict");
        if (i === 69) await gitAsync("clone", "--quiet", `${server.url}/transcript.git`, overHttp);
      }
      expect(git("-C", overHttp, "rev-list", "--count", "HEAD").trim()).toBe("72");
      await gitAsync("-C", overHttp, "pull", "--quiet", "--ff-only");
      git("-C", overHttp, "fsck", "--full", "--strict");
      expect(git("-C", overHttp, "rev-list", "--count", "HEAD").trim()).toBe("122");
    } finally {
      await server.close();
    }
    const packs = (await readdir(join(dir, ".git", "objects", "pack"))).filter((f) => f.endsWith(".pack"));
    expect(packs.length).toBeGreaterThanOrEqual(2);
    const loose = (await readdir(join(dir, ".git", "objects"))).filter((d) => /^[0-9a-f]{2}$/.test(d));
    let looseCount = 0;
    for (const d of loose) looseCount += (await readdir(join(dir, ".git", "objects", d))).length;
    expect(looseCount).toBeLessThan(60);
    git("-C", dir, "fsck", "--full", "--strict");
    const clone = await cloneOf(dir, git);
    expect(git("-C", clone, "rev-list", "--count", "HEAD").trim()).toBe("122");
    expect((await TranscriptWriter.open(options)).lastSeq).toBe(121);
  });

  it("shards event and artifact paths as the README says", () => {
    expect(eventPath(1)).toBe("events/000000/000/000000000001.json");
    expect(eventPath(999)).toBe("events/000000/000/000000000999.json");
    expect(eventPath(1000)).toBe("events/000000/001/000000001000.json");
    expect(eventPath(1_234_567)).toBe("events/000001/234/000001234567.json");
    expect(() => eventPath(0)).toThrow(RangeError);
    const hash = "ab12".repeat(32);
    expect(artifactPath(hash, false)).toBe(`artifacts/ab/12/${hash}.chunk`);
    expect(artifactPath(hash, true)).toBe(`artifacts/ab/12/${hash}.ref.json`);
    expect(() => artifactPath("../x", false)).toThrow(RangeError);
  });

  it("opens a new transcript with README.md, ceremony.json and one commit, and reopens it", async () => {
    const { dir, options, git } = await setup();
    const writer = await TranscriptWriter.open(options);
    expect(writer.lastSeq).toBe(0);
    expect(git("-C", dir, "log", "--format=%s")).toBe("ceremony test-ceremony: transcript opened\n");
    expect(await readdir(dir)).toEqual([".git"]); // nothing checked out, and git knows it
    expect(git("-C", dir, "rev-parse", "--is-bare-repository", "--abbrev-ref", "HEAD")).toBe("true\nmain\n");
    git("-C", dir, "fsck", "--full", "--strict");
    const clone = await cloneOf(dir, git);
    expect(await readFile(join(clone, "README.md"), "utf8")).toBe(README);
    expect(JSON.parse(await readFile(join(clone, "ceremony.json"), "utf8"))).toEqual({
      format: "ceremony-transcript/1",
      ceremonyId: "test-ceremony",
      curve: "bn128",
      power: 8,
      chunkSize: 64,
      numChunks: 4,
      coordinatorKey: CEREMONY.coordinatorKey,
    });
    const head = await writer.head();
    const again = await TranscriptWriter.open(options);
    expect(await again.head()).toBe(head);
    expect(git("-C", dir, "rev-list", "--count", "HEAD")).toBe("1\n");
  });

  it("commits each command's events and chunk files; fsck is clean throughout and a clone has the right bytes", async () => {
    const { artifacts, dir, options, git } = await setup();
    const writer = await TranscriptWriter.open(options);
    const initial = Array.from({ length: 4 }, () => artifacts.add(randomBytes(3000 + Math.floor(Math.random() * 2000))));
    const next = logOf();
    const commands: CeremonyEvent[][] = [
      [{ type: "CeremonyInitialized", settings, accumulator: initial, challenge: "00".repeat(64) }],
      [{ type: "ParticipantQueued", participant: ALICE, at: 1 }],
      [{ type: "ParticipantQueued", participant: BOB, at: 2 }],
      [{ type: "VerifierAdded", participant: VERIFIER, by: ALICE }],
      [
        { type: "RoundStarted", round: 1, contributors: [ALICE, BOB], startedAt: 3 },
        { type: "ChunkLocked", round: 1, chunk: 0, participant: ALICE, at: 3 },
      ],
    ];
    for (let chunk = 0; chunk < 4; chunk++) {
      const hash = artifacts.add(randomBytes(5000));
      if (chunk > 0) commands.push([{ type: "ChunkLocked", round: 1, chunk, participant: ALICE, at: 4 }]);
      commands.push([recorded(chunk, 0, ALICE, hash)]);
      commands.push([{ type: "ContributionVerified", round: 1, chunk, position: 0, verifier: VERIFIER, hash, at: 0 }]);
    }
    commands.push([
      { type: "ContributionVerified", round: 1, chunk: 3, position: 1, verifier: VERIFIER, hash: "ee".repeat(64), at: 0 },
      { type: "RoundAggregated", round: 1, accumulator: initial, challenge: "11".repeat(64) },
    ]);

    const entries: LoggedCeremonyEvent[] = [];
    for (const [i, events] of commands.entries()) {
      const batch = next(...events);
      entries.push(...batch);
      await writer.commitEvents(batch);
      expect(writer.lastSeq).toBe(batch.at(-1)?.seq);
      if (i % 3 === 2) git("-C", dir, "fsck", "--full", "--strict");
    }
    git("-C", dir, "fsck", "--full", "--strict");
    expect(Number(git("-C", dir, "rev-list", "--count", "HEAD"))).toBe(commands.length + 1);
    const subjects = git("-C", dir, "log", "--reverse", "--format=%s").trim().split("\n");
    expect(subjects[1]).toBe("ceremony test-ceremony initialized: 2^8 powers in 4 chunks");
    expect(subjects[5]).toBe("round 1 started with 2 contributors (+1 more event)");
    expect(subjects[6]).toMatch(/^round 1, chunk 1: contributor 1 \(4d1f77a5…\) uploaded \([0-9a-f]{8}…\)$/);
    expect(subjects.at(-1)).toBe("round 1 aggregated (+1 more event)");
    // Commit times come from the events, so the history is reproducible.
    expect(git("-C", dir, "log", "-1", "--format=%cI")).toBe(`${entries.at(-1)?.time.replace(".000Z", "+00:00")}\n`);

    const clone = await cloneOf(dir, git);
    for (const entry of entries) {
      const text = await readFile(join(clone, eventPath(entry.seq)));
      expect(text.at(-1)).toBe(0x0a);
      const decoded = decodeLine(text.subarray(0, -1));
      expect(decoded.ok).toBe(true);
      const parsed: unknown = JSON.parse(text.toString("utf8"));
      expect(Object.keys(parsed as object)).toEqual(["seq", "time", "event", "checksum"]);
      expect(parsed).toEqual(entry);
      expect(checksumOf(entry)).toBe(entry.checksum);
    }
    for (const [hash, bytes] of artifacts.files) {
      expect(sameBytes(await readFile(join(clone, artifactPath(hash, false))), bytes)).toBe(true);
    }
    const artifactFiles = (await readdir(join(clone, "artifacts"), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(artifactFiles).toHaveLength(artifacts.files.size);
  });

  it("reopening resumes lastSeq, skips what is committed, and refuses gaps, divergence and bad checksums", async () => {
    const { artifacts, dir, options, git } = await setup();
    const next = logOf();
    const first = await TranscriptWriter.open(options);
    const batches = [0, 1, 2].map((i) => next(recorded(i, 0, ALICE, artifacts.add(randomBytes(100 + i)))));
    for (const batch of batches) await first.commitEvents(batch);

    const writer = await TranscriptWriter.open(options);
    expect(writer.lastSeq).toBe(3);
    const head = await writer.head();
    artifacts.reads.length = 0;
    expect(await writer.commitEvents(batches.flat())).toBe(head);
    expect(artifacts.reads).toEqual([]);

    const later = next({ type: "ParticipantQueued", participant: BOB, at: 9 }, { type: "ParticipantLeftQueue", participant: BOB });
    await writer.commitEvents([...batches.flat().slice(1), ...later]);
    expect(writer.lastSeq).toBe(5);
    expect(git("-C", dir, "log", "-1", "--format=%B").trimEnd()).toBe(
      `participant b0b0b0b0… joined the queue (+1 more event)\n\nparticipant b0b0b0b0… joined the queue\nparticipant b0b0b0b0… left the queue`,
    );

    await expect(writer.commitEvents([logged(7, { type: "VerifierAdded", participant: BOB, by: ALICE })])).rejects.toMatchObject({ code: "TRANSCRIPT_GAP" });
    await expect(writer.commitEvents([logged(5, { type: "VerifierAdded", participant: BOB, by: ALICE })])).rejects.toMatchObject({ code: "TRANSCRIPT_DIVERGED" });
    const tampered = { ...logged(6, { type: "VerifierAdded", participant: BOB, by: ALICE }), time: "2030-01-01T00:00:00.000Z" };
    await expect(writer.commitEvents([tampered])).rejects.toMatchObject({ code: "TRANSCRIPT_INVALID" });
    expect(await writer.head()).toBe(await (await TranscriptWriter.open(options)).head());

    await writer.commitEvents([logged(6, { type: "VerifierAdded", participant: BOB, by: ALICE })]);
    expect((await TranscriptWriter.open(options)).lastSeq).toBe(6);
    git("-C", dir, "fsck", "--full", "--strict");
  });

  it("refuses a repository of another ceremony and a folder that is not a repository", async () => {
    const { dir, options } = await setup();
    await TranscriptWriter.open(options);
    await expect(TranscriptWriter.open({ ...options, ceremony: { ...CEREMONY, power: 9 } })).rejects.toMatchObject({
      code: "TRANSCRIPT_MISMATCH",
      message: expect.stringContaining("power"),
    });
    const other = join(dir, "..", "other");
    await mkdir(other);
    await writeFile(join(other, "notes.txt"), "hello");
    await expect(TranscriptWriter.open({ ...options, dir: other })).rejects.toMatchObject({ code: "TRANSCRIPT_MISMATCH" });
  });

  it("commits a .ref.json instead of an artifact above the threshold, without reading it", async () => {
    const { artifacts, dir, options, git } = await setup({ externalThresholdBytes: 10_000 });
    const small = artifacts.add(randomBytes(10_000));
    const large = artifacts.add(randomBytes(10_001));
    const sizes = new Map([[small, 10_000], [large, 10_001]]);
    const writer = await TranscriptWriter.open({ ...options, artifacts: { get: (h) => artifacts.get(h), size: async (h) => sizes.get(h)! } });
    await writer.commitEvents(logOf()(recorded(0, 0, ALICE, small), recorded(1, 0, BOB, large)));
    expect(artifacts.reads).toEqual([small]);

    const clone = await cloneOf(dir, git);
    expect(sameBytes(await readFile(join(clone, artifactPath(small, false))), artifacts.files.get(small)!)).toBe(true);
    await expect(readFile(join(clone, artifactPath(large, false)))).rejects.toThrow();
    expect(await readFile(join(clone, artifactPath(large, true)), "utf8")).toBe(
      `{"hash":"${large}","size":10001,"url":"https://ceremony.example/artifacts/${large}"}\n`,
    );
  });

  it("commits extra files: receipts as bytes, the final .ptau by hash (inline or as a ref); unchanged files make no commit", async () => {
    const { artifacts, dir, options, git } = await setup({ externalThresholdBytes: 1000 });
    const writer = await TranscriptWriter.open(options);
    await writer.commitEvents(logOf()({ type: "CeremonyFinalized", hash: "ab".repeat(64) }));
    const receipt = new TextEncoder().encode('{"round":1}\n');
    const bigFinal = artifacts.add(randomBytes(5000));
    const smallFinal = artifacts.add(randomBytes(500));
    const head1 = await writer.commitFiles([{ path: `receipts/1/${ALICE}.json`, bytes: receipt }, { path: "final/final.ptau", artifactHash: bigFinal }], "final result");
    expect(await writer.commitFiles([{ path: `receipts/1/${ALICE}.json`, bytes: receipt }], "again")).toBe(head1);
    await writer.commitFiles([{ path: "final/small.ptau", artifactHash: smallFinal }], "small");
    git("-C", dir, "fsck", "--full", "--strict");

    const clone = await cloneOf(dir, git);
    expect(sameBytes(await readFile(join(clone, "receipts", "1", `${ALICE}.json`)), receipt)).toBe(true);
    expect(JSON.parse(await readFile(join(clone, "final", "final.ptau.ref.json"), "utf8"))).toEqual({
      hash: bigFinal,
      size: 5000,
      url: `https://ceremony.example/artifacts/${bigFinal}`,
    });
    expect(sameBytes(await readFile(join(clone, "final", "small.ptau")), artifacts.files.get(smallFinal)!)).toBe(true);
    expect(git("-C", dir, "log", "--format=%s", "-3")).toBe("small\nfinal result\nceremony finalized (abababab…)\n");

    for (const path of ["../escape", "/abs", "events/000000/000/000000000009.json", "artifacts/x", "a/.git/config", "README.md", "a//b"]) {
      await expect(writer.commitFiles([{ path, bytes: receipt }], "no")).rejects.toThrow(RangeError);
    }
  });

  it("refuses an artifact whose bytes do not match its hash, and commits nothing", async () => {
    const { artifacts, options } = await setup();
    const writer = await TranscriptWriter.open(options);
    const head = await writer.head();
    const hash = artifacts.add(randomBytes(100));
    artifacts.files.set(hash, randomBytes(100));
    const next = logOf();
    await expect(writer.commitEvents(next(recorded(0, 0, ALICE, hash)))).rejects.toMatchObject({ code: "TRANSCRIPT_INVALID" });
    expect(await writer.head()).toBe(head);
    expect(writer.lastSeq).toBe(0);
  });

  it("serializes concurrent calls in order, and the same log always gives the same commits", async () => {
    const { artifacts, options, git } = await setup();
    const hashes = Array.from({ length: 20 }, (_, i) => artifacts.add(randomBytes(200 + i)));
    const next = logOf();
    const batches = hashes.map((hash, i) => next(recorded(i % 4, 0, ALICE, hash)));
    const a = await TranscriptWriter.open(options);
    await Promise.all(batches.map((batch) => a.commitEvents(batch)));
    expect(a.lastSeq).toBe(20);

    const b = await TranscriptWriter.open({ ...options, dir: join(await tempDir(), "twin") });
    for (const batch of batches) await b.commitEvents(batch);
    expect(await b.head()).toBe(await a.head());
    git("-C", options.dir, "fsck", "--full", "--strict");
  });

  it("with fsync on, writes the same commits", async () => {
    const { artifacts, dir, options, git } = await setup();
    const batch = logOf()(recorded(0, 0, ALICE, artifacts.add(randomBytes(3000))));
    const durable = await TranscriptWriter.open({ ...options, fsync: true });
    const plain = await TranscriptWriter.open({ ...options, dir: join(await tempDir(), "plain") });
    expect(await durable.commitEvents(batch)).toBe(await plain.commitEvents(batch));
    git("-C", dir, "fsck", "--full", "--strict");
  });

  it("crosses shard folders and finds the last event in the newest one on reopening", async () => {
    const { dir, options, git } = await setup();
    const writer = await TranscriptWriter.open(options);
    const next = logOf();
    for (let i = 0; i < 11; i++) {
      await writer.commitEvents(next(...Array.from({ length: 100 }, (): CeremonyEvent => ({ type: "ParticipantQueued", participant: ALICE, at: i }))));
    }
    expect((await TranscriptWriter.open(options)).lastSeq).toBe(1100);
    git("-C", dir, "fsck", "--full", "--strict");
    expect(git("-C", dir, "ls-tree", "--name-only", "HEAD", "events/000000/")).toBe("events/000000/000\nevents/000000/001\n");
    expect(git("-C", dir, "ls-tree", "--name-only", "HEAD", "events/000000/000/").split("\n").filter(Boolean)).toHaveLength(999);
  });
});

describe("messageFor", () => {
  it("names one event per line, and a command's most telling event first", () => {
    const hash = "9a".repeat(64);
    expect(messageFor([{ type: "ContributionVerified", round: 3, chunk: 7, position: 2, verifier: ALICE, hash, at: 0 }])).toBe(
      "round 3, chunk 8: contribution of contributor 3 (9a9a9a9a…) verified by 4d1f77a5…",
    );
    expect(messageFor([{ type: "RoundStarted", round: 2, contributors: [ALICE, BOB, ALICE, BOB, ALICE], startedAt: 0 }])).toBe(
      "round 2 started with 5 contributors",
    );
    expect(messageFor([{ type: "CeremonyFinalized", hash }])).toBe("ceremony finalized (9a9a9a9a…)");
    expect(messageFor([{ type: "ContributionRejected", round: 1, chunk: 0, position: 0, verifier: BOB, hash, code: "BAD_POINT", at: 0 }])).toBe(
      "round 1, chunk 1: contribution of contributor 1 (9a9a9a9a…) rejected by b0b0b0b0…: BAD_POINT",
    );
    expect(messageFor([{ type: "ParticipantBanned", participant: BOB, by: ALICE, reason: "spam\nround 9 aggregated" }])).toBe(
      "participant b0b0b0b0… banned by 4d1f77a5…: spam round 9 aggregated",
    );
    expect(
      messageFor([
        { type: "ContributionVerified", round: 1, chunk: 3, position: 1, verifier: ALICE, hash, at: 0 },
        { type: "RoundAggregated", round: 1, accumulator: [], challenge: hash },
      ]),
    ).toBe("round 1 aggregated (+1 more event)\n\nround 1, chunk 4: contribution of contributor 2 (9a9a9a9a…) verified by 4d1f77a5…\nround 1 aggregated");
  });
});

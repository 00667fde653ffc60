// The ceremony decider, command by command: what each produces, and every refusal with its stable code.
import { describe, expect, it } from "vitest";
import { fold } from "../../src/core/evolve.ts";
import { queueOrder } from "../../src/core/state.ts";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { instructionFor, statusView, verificationTasks } from "../../src/core/views.ts";
import { accumulator, given, initialized, keyOf, lock, now, queued, recorded, running, settings, started, verified, verifier } from "./given.ts";

/** alice (position 0) contributes and is verified on every chunk; bob's challenge c2 comes with her chunk 0. */
const aliceDone = [0, 1, 2, 3].flatMap((k) => [lock("alice", k), recorded("alice", k, 0), verified("alice", k, 0, k === 0 ? "c2" : undefined)]);
const bobDone = [0, 1, 2, 3].flatMap((k) => [lock("bob", k), recorded("bob", k, 1), verified("bob", k, 1)]);

describe("Initialize", () => {
  it("initializes once", () => {
    given().when({ type: "Initialize", now, settings, accumulator, challenge: "c1" }).then([initialized]);
    given(initialized).when({ type: "Initialize", now, settings, accumulator, challenge: "c1" }).refuses("ALREADY_INITIALIZED");
  });
  it("refuses settings that do not match the accumulator", () => {
    given().when({ type: "Initialize", now, settings, accumulator: ["a0"], challenge: "c1" }).refuses("INVALID_COMMAND");
  });
  it("every other command needs an initialized ceremony", () => {
    given().when({ type: "JoinQueue", now, participant: "alice", role: "contributor" }).refuses("NOT_INITIALIZED");
    given().when({ type: "LockChunk", now, participant: "alice", chunk: 0 }).refuses("NOT_INITIALIZED");
    expect(given().when({ type: "Tick", now }).then([]).phase).toBe("setup");
  });
});

describe("queue", () => {
  it("joins contributors; verifiers are added by the coordinator or an admin; refuses duplicates and banned keys", () => {
    given(initialized).when({ type: "JoinQueue", now, participant: "alice", role: "contributor" }).then([queued("alice")]);
    given(initialized).when({ type: "AddVerifier", now, actor: "coord", participant: "v" }).then([verifier]);
    given(initialized, queued("alice")).when({ type: "JoinQueue", now, participant: "alice", role: "contributor" }).refuses("ALREADY_QUEUED");
    given(initialized, verifier).when({ type: "AddVerifier", now, actor: "admin", participant: "v" }).refuses("ALREADY_REGISTERED");
    given(...running).when({ type: "JoinQueue", now, participant: "alice", role: "contributor" }).refuses("ALREADY_IN_ROUND");
    given(initialized, { type: "ParticipantBanned", participant: "eve", reason: "x", by: "admin" })
      .when({ type: "JoinQueue", now, participant: "eve", role: "contributor" })
      .refuses("BANNED");
  });
  it("leaves the queue", () => {
    given(initialized, queued("alice")).when({ type: "LeaveQueue", now, participant: "alice" }).then([{ type: "ParticipantLeftQueue", participant: "alice" }]);
    given(initialized).when({ type: "LeaveQueue", now, participant: "alice" }).refuses("NOT_QUEUED");
  });
});

describe("Tick", () => {
  it("starts a round with up to contributorsPerRound queued contributors once a verifier exists", () => {
    given(initialized, queued("alice")).when({ type: "Tick", now }).then([]);
    const s = given(initialized, queued("alice"), queued("bob"), queued("carol"), verifier).when({ type: "Tick", now }).then([started]);
    expect(s.phase === "running" && queueOrder(s)).toEqual(["carol"]);
    given(...running).when({ type: "Tick", now }).then([]);
  });
  it("waits roundStartWaitMs for more contributors before starting a partial round", () => {
    const waiting = [{ ...initialized, settings: { ...settings, roundStartWaitMs: 5000 } } as CeremonyEvent, queued("alice", now), verifier];
    given(...waiting).when({ type: "Tick", now: now + 4999 }).then([]);
    given(...waiting).when({ type: "Tick", now: now + 5000 }).then([{ type: "RoundStarted", round: 1, contributors: ["alice"], startedAt: now + 5000 }]);
    given(...waiting, queued("bob", now + 10)).when({ type: "Tick", now: now + 20 }).then([{ type: "RoundStarted", round: 1, contributors: ["alice", "bob"], startedAt: now + 20 }]);
  });
});

describe("LockChunk", () => {
  it("the first contributor locks chunk 0, then chunk 1 after contributing to 0", () => {
    given(...running).when({ type: "LockChunk", now, participant: "alice", chunk: 0 }).then([lock("alice", 0)]);
    given(...running, lock("alice", 0), recorded("alice", 0, 0)).when({ type: "LockChunk", now, participant: "alice", chunk: 1 }).then([lock("alice", 1)]);
  });
  it("refuses out of turn, out of range, outsiders, double locks and the lock limit", () => {
    given(...running).when({ type: "LockChunk", now, participant: "bob", chunk: 0 }).refuses("NOT_YOUR_TURN");
    given(...running).when({ type: "LockChunk", now, participant: "alice", chunk: 1 }).refuses("NOT_YOUR_TURN");
    given(...running).when({ type: "LockChunk", now, participant: "alice", chunk: 4 }).refuses("CHUNK_OUT_OF_RANGE");
    given(...running).when({ type: "LockChunk", now, participant: "mallory", chunk: 0 }).refuses("NOT_IN_ROUND");
    given(...running, lock("alice", 0)).when({ type: "LockChunk", now, participant: "alice", chunk: 0 }).refuses("CHUNK_LOCKED");
    given(...running, lock("alice", 0), recorded("alice", 0, 0)).when({ type: "LockChunk", now, participant: "alice", chunk: 0 }).refuses("ALREADY_CONTRIBUTED");
    given(...running, lock("alice", 0), recorded("alice", 0, 0), verified("alice", 0, 0, "c2"), lock("alice", 1))
      .when({ type: "LockChunk", now, participant: "bob", chunk: 0 })
      .then([lock("bob", 0)]);
    given(initialized).when({ type: "LockChunk", now, participant: "alice", chunk: 0 }).refuses("NO_ACTIVE_ROUND");
  });
  it("the second contributor waits for the first one's verified chunk (pipelining)", () => {
    given(...running, lock("alice", 0), recorded("alice", 0, 0)).when({ type: "LockChunk", now, participant: "bob", chunk: 0 }).refuses("NOT_YOUR_TURN");
    given(...running, lock("alice", 0), recorded("alice", 0, 0), verified("alice", 0, 0, "c2"))
      .when({ type: "LockChunk", now, participant: "bob", chunk: 0 })
      .then([lock("bob", 0)]);
  });
  it("enforces the per-participant lock limit", () => {
    given(...running, lock("alice", 0)).when({ type: "LockChunk", now, participant: "alice", chunk: 1 }).refuses("LOCK_LIMIT_REACHED");
    const limit2 = [{ ...initialized, settings: { ...settings, lockLimit: 2 } } as CeremonyEvent, queued("alice"), queued("bob"), verifier, started];
    given(...limit2, lock("alice", 0)).when({ type: "LockChunk", now, participant: "alice", chunk: 1 }).then([lock("alice", 1)]);
    given(...limit2, lock("alice", 0), lock("alice", 1)).when({ type: "LockChunk", now, participant: "alice", chunk: 2 }).refuses("LOCK_LIMIT_REACHED");
    given(...limit2).when({ type: "LockChunk", now, participant: "alice", chunk: 1 }).refuses("NOT_YOUR_TURN");
  });
});

describe("RecordContribution", () => {
  it("records an upload from the lock holder and releases the lock", () => {
    const s = given(...running, lock("alice", 0)).when({ type: "RecordContribution", now, participant: "alice", chunk: 0, hash: "alice0" }).then([recorded("alice", 0, 0)]);
    expect(s.phase === "running" && s.round.chunks[0]?.lock).toBeNull();
  });
  it("refuses without the lock", () => {
    given(...running).when({ type: "RecordContribution", now, participant: "alice", chunk: 0, hash: "x" }).refuses("LOCK_NOT_HELD");
    given(...running, lock("alice", 0)).when({ type: "RecordContribution", now, participant: "bob", chunk: 0, hash: "x" }).refuses("LOCK_NOT_HELD");
    given(...running).when({ type: "RecordContribution", now, participant: "mallory", chunk: 0, hash: "x" }).refuses("NOT_IN_ROUND");
  });
});

describe("RecordVerification", () => {
  const uploaded = [...running, lock("alice", 0), recorded("alice", 0, 0)];
  const cmd = { type: "RecordVerification" as const, now, verifier: "v", round: 1, chunk: 0, position: 0, hash: "alice0", ok: true, chunk0: { publicKeyId: keyOf("alice"), nextChallenge: "c2" } };
  it("accepts a verdict and sets the next position's challenge", () => {
    const s = given(...uploaded).when(cmd).then([verified("alice", 0, 0, "c2")]);
    expect(s.phase === "running" && s.round.challenges).toEqual(["c1", "c2"]);
  });
  it("a rejection removes the contribution so the same contributor redoes it", () => {
    const s = given(...uploaded)
      .when({ ...cmd, ok: false, code: "POWERS_INCONSISTENT" })
      .then([{ type: "ContributionRejected", round: 1, chunk: 0, position: 0, verifier: "v", hash: "alice0", code: "POWERS_INCONSISTENT", at: now }]);
    expect(instructionFor(s, "alice")).toMatchObject({ kind: "lock", chunk: 0 });
  });
  it("refuses non-verifiers, stale hashes, wrong rounds and a chunk 0 verdict without the next challenge", () => {
    given(...uploaded).when({ ...cmd, verifier: "mallory" }).refuses("NOT_A_VERIFIER");
    given(...uploaded).when({ ...cmd, hash: "other" }).refuses("STALE_VERIFICATION");
    given(...uploaded, verified("alice", 0, 0, "c2")).when(cmd).refuses("STALE_VERIFICATION");
    given(...uploaded).when({ ...cmd, round: 2 }).refuses("WRONG_ROUND");
    given(...uploaded).when({ ...cmd, chunk: 9 }).refuses("CHUNK_OUT_OF_RANGE");
    const { chunk0: _, ...noNext } = cmd;
    given(...uploaded).when(noNext).refuses("INVALID_COMMAND");
  });
  it("rejects a chunk 0 whose key the ceremony already accepted, whoever verified it", () => {
    const accepted = [...uploaded, verified("alice", 0, 0, "c2"), lock("bob", 0), recorded("bob", 0, 1)];
    const reused = { ...cmd, position: 1, hash: "bob0", chunk0: { publicKeyId: keyOf("alice"), nextChallenge: "c3" } };
    given(...accepted)
      .when(reused)
      .then([{ type: "ContributionRejected", round: 1, chunk: 0, position: 1, verifier: "v", hash: "bob0", code: "REUSED_PUBLIC_KEY", at: now }]);
  });
});

describe("AggregateRound", () => {
  it("aggregates a complete round into the last contributor's chunks, then the next round can start", () => {
    const s = given(...running, ...aliceDone, ...bobDone)
      .when({ type: "AggregateRound", now, round: 1, challenge: "next" })
      .then([{ type: "RoundAggregated", round: 1, accumulator: ["bob0", "bob1", "bob2", "bob3"], challenge: "next" }]);
    expect(s.phase).toBe("waiting");
    expect(instructionFor(s, "alice")).toMatchObject({ kind: "done" });
    expect(statusView(s)).toMatchObject({ phase: "waiting", lastRound: 1, round: null });
  });
  it("refuses an incomplete round or another round number", () => {
    given(...running, ...aliceDone).when({ type: "AggregateRound", now, round: 1, challenge: "x" }).refuses("ROUND_NOT_COMPLETE");
    given(...running, ...aliceDone, ...bobDone).when({ type: "AggregateRound", now, round: 2, challenge: "x" }).refuses("WRONG_ROUND");
    given(initialized).when({ type: "AggregateRound", now, round: 1, challenge: "x" }).refuses("NO_ACTIVE_ROUND");
  });
});

describe("finalization", () => {
  const beacon = { hash: "ab".repeat(32), numIterationsExp: 10 };
  /** Round 1 aggregated; round 2 (carol, dave) running. */
  const round1 = [...running, ...aliceDone, ...bobDone, { type: "RoundAggregated", round: 1, accumulator: ["bob0", "bob1", "bob2", "bob3"], challenge: "n" } as CeremonyEvent];
  const asRound2 = (e: CeremonyEvent): CeremonyEvent => JSON.parse(JSON.stringify({ ...e, round: 2 }).replaceAll("alice", "carol").replaceAll("bob", "dave")) as CeremonyEvent;
  const round2 = [...round1, queued("carol"), queued("dave"), { type: "RoundStarted", round: 2, contributors: ["carol", "dave"], startedAt: now } as CeremonyEvent];
  it("closes the queue, lets the round finish, then records the final hash", () => {
    let s = given(...round2).when({ type: "Finalize", now, actor: "admin", beacon }).then([{ type: "FinalizationRequested", beacon, by: "admin" }]);
    expect(s.phase).toBe("finalizing");
    const afterRequest = [...round2, { type: "FinalizationRequested", beacon, by: "admin" } as CeremonyEvent];
    given(...afterRequest).when({ type: "JoinQueue", now, participant: "erin", role: "contributor" }).refuses("QUEUE_CLOSED");
    given(...afterRequest).when({ type: "RecordFinal", now, hash: "f" }).refuses("ROUND_NOT_COMPLETE");
    given(...afterRequest).when({ type: "Finalize", now, actor: "admin", beacon }).refuses("QUEUE_CLOSED");
    const done2 = [...aliceDone, ...bobDone].map(asRound2);
    const aggregated = [...afterRequest, ...done2, { type: "RoundAggregated", round: 2, accumulator: ["dave0", "dave1", "dave2", "dave3"], challenge: "n2" } as CeremonyEvent];
    s = given(...aggregated).when({ type: "RecordFinal", now, hash: "f" }).then([{ type: "CeremonyFinalized", hash: "f" }]);
    expect(s.phase).toBe("finalized");
    given(...aggregated, { type: "CeremonyFinalized", hash: "f" }).when({ type: "JoinQueue", now, participant: "x", role: "contributor" }).refuses("CEREMONY_FINALIZED");
  });
  it("only admins finalize", () => {
    given(...round2).when({ type: "Finalize", now, actor: "alice", beacon }).refuses("NOT_AN_ADMIN");
  });
  it("refuses before any round is aggregated, a beacon under 32 bytes and an iteration exponent above the cap", () => {
    given(...running).when({ type: "Finalize", now, actor: "admin", beacon }).refuses("NO_AGGREGATED_ROUND");
    given(...round1).when({ type: "Finalize", now, actor: "admin", beacon: { hash: "0102", numIterationsExp: 10 } }).refuses("BEACON_INVALID");
    given(...round1).when({ type: "Finalize", now, actor: "admin", beacon: { hash: "ab".repeat(31), numIterationsExp: 10 } }).refuses("BEACON_INVALID");
    given(...round1).when({ type: "Finalize", now, actor: "admin", beacon: { ...beacon, numIterationsExp: 25 } }).refuses("BEACON_INVALID");
    given(...round1).when({ type: "Finalize", now, actor: "admin", beacon: { ...beacon, numIterationsExp: 24 } }).then([{ type: "FinalizationRequested", beacon: { ...beacon, numIterationsExp: 24 }, by: "admin" }]);
  });
});

describe("admin: drop, ban, unban, restart", () => {
  it("dropping a round contributor restarts the round with the others back at the front of the queue", () => {
    const s = given(...running, queued("carol"))
      .when({ type: "Drop", now, actor: "admin", participant: "bob", reason: "unresponsive" })
      .then([
        { type: "ParticipantDropped", participant: "bob", reason: "unresponsive", by: "admin" },
        { type: "RoundRestarted", round: 1, reason: "contributor dropped: unresponsive", requeued: ["alice"], by: "admin" },
      ]);
    expect(s.phase === "waiting" && queueOrder(s)).toEqual(["alice", "carol"]);
  });
  it("bans and unbans", () => {
    given(initialized, queued("eve"))
      .when({ type: "Ban", now, actor: "admin", participant: "eve", reason: "garbage" })
      .then([
        { type: "ParticipantDropped", participant: "eve", reason: "garbage", by: "admin" },
        { type: "ParticipantBanned", participant: "eve", reason: "garbage", by: "admin" },
      ]);
    const banned = [initialized, { type: "ParticipantBanned", participant: "eve", reason: "x", by: "admin" } as CeremonyEvent];
    given(...banned).when({ type: "Unban", now, actor: "admin", participant: "eve" }).then([{ type: "ParticipantUnbanned", participant: "eve", by: "admin" }]);
    given(initialized).when({ type: "Unban", now, actor: "admin", participant: "eve" }).refuses("NOT_BANNED");
    given(...banned).when({ type: "Ban", now, actor: "admin", participant: "eve", reason: "x" }).refuses("BANNED");
    given(initialized).when({ type: "Drop", now, actor: "admin", participant: "nobody", reason: "x" }).refuses("UNKNOWN_PARTICIPANT");
    given(initialized, queued("eve")).when({ type: "Drop", now, actor: "eve", participant: "eve", reason: "x" }).refuses("NOT_AN_ADMIN");
  });
  it("restarts the current round", () => {
    given(...running).when({ type: "RestartRound", now, actor: "admin", reason: "operator" }).then([{ type: "RoundRestarted", round: 1, reason: "operator", requeued: ["alice", "bob"], by: "admin" }]);
    given(initialized).when({ type: "RestartRound", now, actor: "admin", reason: "x" }).refuses("NO_ACTIVE_ROUND");
  });
});

describe("views", () => {
  it("instructions follow a contributor through its round", () => {
    let s = fold(running);
    expect(instructionFor(s, "alice")).toEqual({ id: "1:lock:0", kind: "lock", round: 1, chunk: 0 });
    expect(instructionFor(s, "bob")).toMatchObject({ kind: "wait" });
    s = fold([lock("alice", 0)], s);
    expect(instructionFor(s, "alice")).toEqual({ id: "1:contribute:0", kind: "contribute", round: 1, chunk: 0, position: 0, challenge: "c1" });
    s = fold([recorded("alice", 0, 0)], s);
    expect(verificationTasks(s)).toEqual([
      { round: 1, chunk: 0, position: 0, contributor: "alice", hash: "alice0", parentHash: "a0", challenge: "c1", previousRecordChunk: "a0", ownChunk0: null, ownPreviousChunk: null },
    ]);
    s = fold([verified("alice", 0, 0, "c2")], s);
    expect(instructionFor(s, "bob")).toEqual({ id: "1:lock:0", kind: "lock", round: 1, chunk: 0 });
    expect(statusView(s).round?.percentDone).toBe(12);
    s = fold([lock("alice", 1), recorded("alice", 1, 0), lock("bob", 0), recorded("bob", 0, 1)], s);
    expect(verificationTasks(s).map((t) => [t.chunk, t.position, t.previousRecordChunk, t.ownChunk0, t.ownPreviousChunk])).toEqual([
      [0, 1, "alice0", null, null],
      [1, 0, null, "alice0", "alice0"],
    ]);
    // The place comes from the shell's queue index (server/queue-index.ts), so the view stays O(1) of the queue.
    expect(instructionFor(fold([initialized, queued("carol")]), "carol", 1)).toMatchObject({ kind: "wait", reason: "queued at place 1 of 1" });
    expect(instructionFor(fold([initialized, queued("carol")]), "carol")).toMatchObject({ kind: "wait", reason: "queued (1 waiting)" });
  });
  it("five contributors per round are supported", () => {
    const five = ["p1", "p2", "p3", "p4", "p5"];
    const events: CeremonyEvent[] = [{ ...initialized, settings: { ...settings, contributorsPerRound: 5 } } as CeremonyEvent, ...five.map(queued), verifier];
    const s = given(...events).when({ type: "Tick", now }).then([{ type: "RoundStarted", round: 1, contributors: five, startedAt: now }]);
    expect(statusView(s).round?.contributors).toHaveLength(5);
  });
});

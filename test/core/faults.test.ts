// Participants fail, the ceremony does not: the decider's drops, replacements, restarts and bans.
import { describe, expect, it } from "vitest";
import { fold } from "../../src/core/evolve.ts";
import { queueOrder } from "../../src/core/state.ts";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { instructionFor } from "../../src/core/views.ts";
import { given, initialized, lock, now, queued, recorded, running, settings, started, verified, verifier } from "./given.ts";

const replacement: CeremonyEvent = { type: "ReplacementRegistered", participant: "r", by: "coord" };
const withReplacement = [initialized, queued("alice"), queued("bob"), verifier, replacement, started];
/** alice (position 0) done on chunks 0 and 1, bob (position 1) done on chunk 0. */
const progress = [lock("alice", 0), recorded("alice", 0, 0), verified("alice", 0, 0, "c2"), lock("alice", 1), recorded("alice", 1, 0), verified("alice", 1, 0), lock("bob", 0), recorded("bob", 0, 1), verified("bob", 0, 1)];
const tick = (t: number, lastSeen: Record<string, number>) => ({ type: "Tick" as const, now: t, lastSeen });

describe("timeouts", () => {
  it("drops a silent round contributor; without a replacement the round restarts with the others", () => {
    const later = now + settings.heartbeatTimeoutMs + 1;
    const s = given(...running, ...progress)
      .when(tick(later, { alice: later, bob: now }))
      .then([
        {
          type: "ParticipantDropped",
          participant: "bob",
          reason: `unresponsive: no heartbeat for ${Math.round((settings.heartbeatTimeoutMs + 1) / 1000)} s`,
          by: "coord",
          discarded: [{ chunk: 0, position: 1, hash: "bob0" }],
        },
        { type: "RoundRestarted", round: 1, reason: expect.stringContaining("unresponsive") as unknown as string, requeued: ["alice"], by: "coord" },
      ]);
    expect(s.phase === "waiting" && queueOrder(s)).toEqual(["alice"]);
    expect(instructionFor(s, "bob")).toMatchObject({ kind: "done" });
    given(...running, ...progress).when(tick(now + 1000, { alice: now, bob: now })).then([]);
  });
  it("drops a slow lock holder; a free replacement takes its position and the work built on it is discarded", () => {
    const slow = now + settings.lockTimeoutMs + 1;
    const s = given(...withReplacement, lock("alice", 0))
      .when(tick(slow, { alice: slow, bob: slow }))
      .then([
        { type: "ParticipantDropped", participant: "alice", reason: expect.stringContaining("too slow: held chunk 1") as unknown as string, by: "coord" },
        { type: "ContributorReplaced", round: 1, position: 0, dropped: "alice", replacement: "r" },
      ]);
    expect(s.phase === "running" && s.round.contributors).toEqual(["r", "bob"]);
    expect(s.phase === "running" && s.round.chunks[0]?.lock).toBeNull();
    expect(instructionFor(s, "r")).toMatchObject({ kind: "lock", chunk: 0 });
  });
  it("replacing position 0 discards every later contribution and the later challenges", () => {
    const s = given(...withReplacement, ...progress)
      .when({ type: "Drop", now, actor: "admin", participant: "alice", reason: "operator" })
      .then([
        {
          type: "ParticipantDropped",
          participant: "alice",
          reason: "operator",
          by: "admin",
          discarded: [
            { chunk: 0, position: 0, hash: "alice0" },
            { chunk: 0, position: 1, hash: "bob0" },
            { chunk: 1, position: 0, hash: "alice1" },
          ],
        },
        { type: "ContributorReplaced", round: 1, position: 0, dropped: "alice", replacement: "r" },
      ]);
    expect(s.phase === "running" && s.round.chunks.map((c) => c.contributions.length)).toEqual([0, 0, 0, 0]);
    expect(s.phase === "running" && s.round.challenges).toEqual(["c1", null]);
  });
  it("a replacement never replaces the last regular contributor: the round restarts", () => {
    const solo = [initialized, queued("alice"), verifier, replacement, { ...started, contributors: ["alice"] } as CeremonyEvent];
    given(...solo)
      .when({ type: "Drop", now, actor: "admin", participant: "alice", reason: "x" })
      .then([
        { type: "ParticipantDropped", participant: "alice", reason: "x", by: "admin" },
        { type: "RoundRestarted", round: 1, reason: "contributor dropped: x", requeued: [], by: "admin" },
      ]);
  });
  it("the last verifier leaving restarts the round", () => {
    given(...running)
      .when({ type: "Drop", now, actor: "admin", participant: "v", reason: "gone" })
      .then([
        { type: "ParticipantDropped", participant: "v", reason: "gone", by: "admin" },
        { type: "RoundRestarted", round: 1, reason: "the last verifier is gone", requeued: ["alice", "bob"], by: "admin" },
      ]);
  });
});

describe("failed verifications and bans", () => {
  const upload = [...running, lock("alice", 0), recorded("alice", 0, 0)];
  const reject = { type: "RecordVerification" as const, now, verifier: "v", round: 1, chunk: 0, position: 0, hash: "alice0", ok: false, code: "POWERS_INCONSISTENT" };
  const rejected: CeremonyEvent = { type: "ContributionRejected", round: 1, chunk: 0, position: 0, verifier: "v", hash: "alice0", code: "POWERS_INCONSISTENT", at: now };
  it("gives the chunk back to the same contributor, then drops it after maxVerificationFailures", () => {
    const once = given(...upload).when(reject).then([rejected]);
    expect(instructionFor(once, "alice")).toMatchObject({ kind: "lock", chunk: 0 });
    const failures = settings.maxVerificationFailures;
    const history = Array.from({ length: failures - 1 }, () => [rejected, lock("alice", 0), recorded("alice", 0, 0)]).flat();
    const events = given(...upload, ...history).when(reject);
    events.then([
      rejected,
      { type: "ParticipantDropped", participant: "alice", reason: `failed verification ${failures} times (last: POWERS_INCONSISTENT)`, by: "v" },
      { type: "RoundRestarted", round: 1, reason: expect.stringContaining("failed verification") as unknown as string, requeued: ["bob"], by: "v" },
    ]);
  });
  it("bans after dropsBeforeBan drops; a banned key cannot join", () => {
    const drops = Array.from({ length: settings.dropsBeforeBan - 1 }, (): CeremonyEvent => ({ type: "ParticipantDropped", participant: "eve", reason: "x", by: "admin" }));
    given(initialized, ...drops, queued("eve"))
      .when({ type: "Drop", now, actor: "admin", participant: "eve", reason: "again" })
      .then([
        { type: "ParticipantDropped", participant: "eve", reason: "again", by: "admin" },
        { type: "ParticipantBanned", participant: "eve", reason: `dropped ${settings.dropsBeforeBan} times`, by: "admin" },
      ]);
    const s = fold([initialized, { type: "ParticipantBanned", participant: "eve", reason: "x", by: "admin" }]);
    given(initialized, { type: "ParticipantBanned", participant: "eve", reason: "x", by: "admin" }).when({ type: "JoinQueue", now, participant: "eve", role: "contributor" }).refuses("BANNED");
    expect(instructionFor(s, "eve")).toMatchObject({ kind: "done" });
  });
  it("a dropped contributor may join again (rejoining)", () => {
    given(initialized, { type: "ParticipantDropped", participant: "bob", reason: "x", by: "admin" })
      .when({ type: "JoinQueue", now, participant: "bob", role: "contributor" })
      .then([{ type: "ParticipantQueued", participant: "bob", at: now }]);
  });
});

describe("no stalls by a participant", () => {
  const turn = settings.turnTimeoutMs;
  const all = (t: number) => ({ alice: t, bob: t });
  it("drops a contributor whose next chunk is free but who never locks it, however often it heartbeats", () => {
    const late = now + turn + 1;
    given(...running).when(tick(now + turn, all(now + turn))).then([]);
    given(...running)
      .when(tick(late, all(late)))
      .then([
        { type: "ParticipantDropped", participant: "alice", reason: `stalled: did not lock chunk 1 for ${Math.round((turn + 1) / 1000)} s`, by: "coord" },
        { type: "RoundRestarted", round: 1, reason: expect.stringContaining("stalled") as unknown as string, requeued: ["bob"], by: "coord" },
      ]);
  });
  it("never counts the time spent waiting for a verification: the next contributor's turn starts when its chunk is verified", () => {
    const t1 = now + 1000;
    const uploaded = [...running, lock("alice", 0, t1), recorded("alice", 0, 0, t1), lock("alice", 1, t1), recorded("alice", 1, 0, t1)];
    // Long after the uploads, nothing is verified yet: bob is waiting, not stalling; alice stalls on chunk 2.
    const t2 = t1 + 3 * turn;
    const stalled = given(...uploaded).when(tick(t2, all(t2))).then([
      { type: "ParticipantDropped", participant: "alice", reason: expect.stringContaining("stalled: did not lock chunk 3") as unknown as string, by: "coord", discarded: expect.any(Array) as unknown as [] },
      { type: "RoundRestarted", round: 1, reason: expect.stringContaining("stalled") as unknown as string, requeued: ["bob"], by: "coord" },
    ]);
    expect(stalled.phase).toBe("waiting");
    // Chunk 0 verified at t3: bob's turn starts then, not at the round's start.
    const t3 = t2;
    const verifiedAt = [...uploaded, lock("alice", 2, t3 + 2), verified("alice", 0, 0, "c2", t3)];
    given(...verifiedAt).when(tick(t3 + turn, { alice: t3 + turn, bob: t3 + turn })).then([]);
    given(...verifiedAt)
      .when(tick(t3 + turn + 1, { alice: t3 + turn + 1, bob: t3 + turn + 1 }))
      .then([
        { type: "ParticipantDropped", participant: "bob", reason: expect.stringContaining("stalled: did not lock chunk 1") as unknown as string, by: "coord" },
        { type: "RoundRestarted", round: 1, reason: expect.stringContaining("stalled") as unknown as string, requeued: ["alice"], by: "coord" },
      ]);
  });
});

describe("the coordinator's own downtime", () => {
  it("never counts against a participant's turn or lock: timeouts count from the restart", () => {
    const turn = settings.turnTimeoutMs;
    const restarted = now + 10 * turn;
    const at = (t: number) => ({ type: "Tick" as const, now: t, lastSeen: { alice: t, bob: t }, upSince: restarted });
    given(...running).when(at(restarted + turn)).then([]);
    given(...running).when(at(restarted + turn + 1)).then([
      { type: "ParticipantDropped", participant: "alice", reason: expect.stringContaining("stalled: did not lock chunk 1") as unknown as string, by: "coord" },
      { type: "RoundRestarted", round: 1, reason: expect.stringContaining("stalled") as unknown as string, requeued: ["bob"], by: "coord" },
    ]);
    const locked = [...running, lock("alice", 0)];
    given(...locked).when(at(restarted + settings.lockTimeoutMs)).then([]);
  });
});

describe("withdrawing", () => {
  it("a round contributor leaving gives up its position at once; the round restarts (or a replacement takes it)", () => {
    given(...running, lock("alice", 0))
      .when({ type: "LeaveQueue", now, participant: "alice" })
      .then([
        { type: "ParticipantDropped", participant: "alice", reason: "withdrew", by: "alice" },
        { type: "RoundRestarted", round: 1, reason: "contributor dropped: withdrew", requeued: ["bob"], by: "coord" },
      ]);
    given(...withReplacement)
      .when({ type: "LeaveQueue", now, participant: "bob" })
      .then([
        { type: "ParticipantDropped", participant: "bob", reason: "withdrew", by: "bob" },
        { type: "ContributorReplaced", round: 1, position: 1, dropped: "bob", replacement: "r" },
      ]);
    given(...running).when({ type: "LeaveQueue", now, participant: "carol" }).refuses("NOT_QUEUED");
  });
});

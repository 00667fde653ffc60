// Property-based tests of the ceremony core over random fault schedules (fast-check): whatever participants do,
// locks are never held by anyone outside the round, accepted contributions leave only with a recorded drop or
// restart, the log replays to the same state, and an honest continuation finishes the round in bounded steps.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decide } from "../../src/core/decide.ts";
import { roundComplete } from "../../src/core/rules.ts";
import { DomainError } from "../../src/core/errors.ts";
import { evolve, fold } from "../../src/core/evolve.ts";
import { currentRound, queueLength, queueOrder } from "../../src/core/state.ts";
import type { CeremonyEvent, CeremonyState, Command } from "../../src/core/model.ts";
import { instructionFor, verificationTasks } from "../../src/core/views.ts";
import { parseEvent } from "../../src/core/event-schema.ts";
import { QueueIndex } from "../../src/server/queue-index.ts";
import { initialized, now as t0, settings } from "./given.ts";

const PEOPLE = ["p1", "p2", "p3", "p4", "p5"];
const start: CeremonyEvent[] = [
  { ...initialized, settings: { ...settings, contributorsPerRound: 3, lockLimit: 2, roundStartWaitMs: 1_000, heartbeatTimeoutMs: 5_000, lockTimeoutMs: 20_000 } } as CeremonyEvent,
  { type: "VerifierAdded", participant: "v", by: "coord" },
  { type: "ReplacementRegistered", participant: "r", by: "coord" },
];

type Action =
  | { kind: "join"; who: number }
  | { kind: "leave"; who: number }
  | { kind: "tick"; dt: number; silent: number[] }
  | { kind: "work"; who: number }
  | { kind: "verify"; ok: boolean }
  | { kind: "drop"; who: number }
  | { kind: "aggregate" };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), who: fc.nat(PEOPLE.length - 1) }),
  fc.record({ kind: fc.constant("leave" as const), who: fc.nat(PEOPLE.length - 1) }),
  fc.record({ kind: fc.constant("tick" as const), dt: fc.integer({ min: 0, max: 8_000 }), silent: fc.array(fc.nat(PEOPLE.length - 1), { maxLength: 2 }) }),
  fc.record({ kind: fc.constant("work" as const), who: fc.nat(PEOPLE.length) }),
  fc.record({ kind: fc.constant("work" as const), who: fc.nat(PEOPLE.length) }),
  fc.record({ kind: fc.constant("verify" as const), ok: fc.boolean() }),
  fc.record({ kind: fc.constant("verify" as const), ok: fc.constant(true) }),
  fc.record({ kind: fc.constant("drop" as const), who: fc.nat(PEOPLE.length - 1) }),
  fc.record({ kind: fc.constant("aggregate" as const) }),
);

/** A little world around the decider: the clock, heartbeats, and the log of every event decided so far. */
class World {
  state: CeremonyState = fold(start);
  log: CeremonyEvent[] = [...start];
  now = t0;
  seen: Record<string, number> = {};
  uploads = 0;

  apply(command: Command): CeremonyEvent[] {
    let events: CeremonyEvent[];
    try {
      events = decide(command, this.state);
    } catch (err) {
      if (err instanceof DomainError) return [];
      throw err;
    }
    for (const e of events) {
      this.state = evolve(this.state, e);
      this.log.push(e);
    }
    return events;
  }

  who(i: number): string {
    return PEOPLE[i] ?? "r";
  }

  /** One step of the participant (or the replacement): lock its next chunk, or upload to the one it holds. */
  work(p: string): void {
    this.seen[p] = this.now;
    const ins = instructionFor(this.state, p);
    if (ins.kind === "lock") this.apply({ type: "LockChunk", now: this.now, participant: p, chunk: ins.chunk });
    if (ins.kind === "contribute") this.apply({ type: "RecordContribution", now: this.now, participant: p, chunk: ins.chunk, hash: `ab${(++this.uploads).toString(16)}` });
  }

  verify(ok: boolean): void {
    const task = verificationTasks(this.state)[0];
    if (!task) return;
    this.apply({
      type: "RecordVerification",
      now: this.now,
      verifier: "v",
      round: task.round,
      chunk: task.chunk,
      position: task.position,
      hash: task.hash,
      ok,
      ...(ok ? (task.chunk === 0 ? { chunk0: { publicKeyId: `ee${task.hash}`, nextChallenge: `cc${task.hash}` } } : {}) : { code: "POWERS_INCONSISTENT" }),
    });
  }

  aggregate(): void {
    const round = currentRound(this.state);
    if (round && roundComplete(round)) this.apply({ type: "AggregateRound", now: this.now, round: round.number, challenge: `ee${round.number}` });
  }

  run(a: Action): void {
    switch (a.kind) {
      case "join":
        this.seen[this.who(a.who)] = this.now;
        this.apply({ type: "JoinQueue", now: this.now, participant: this.who(a.who), role: "contributor" });
        return;
      case "leave":
        this.apply({ type: "LeaveQueue", now: this.now, participant: this.who(a.who) });
        return;
      case "tick": {
        this.now += a.dt;
        const silent = new Set(a.silent.map((i) => this.who(i)));
        for (const p of PEOPLE) if (!silent.has(p) && this.seen[p] !== undefined) this.seen[p] = this.now;
        this.apply({ type: "Tick", now: this.now, lastSeen: { ...this.seen } });
        return;
      }
      case "work":
        return this.work(this.who(a.who));
      case "verify":
        return this.verify(a.ok);
      case "drop":
        this.apply({ type: "Drop", now: this.now, actor: "admin", participant: this.who(a.who), reason: "fuzz" });
        return;
      case "aggregate":
        return this.aggregate();
    }
  }
}

function checkInvariants(w: World, before: CeremonyState, events: CeremonyEvent[]): void {
  const s = w.state;
  const round = currentRound(s);
  if (round && s.phase !== "setup") {
    for (const c of round.chunks) {
      if (c.lock) expect(round.contributors).toContain(c.lock.holder);
      c.contributions.forEach((x, j) => expect(x.contributor).toBe(round.contributors[j]));
    }
    for (const p of round.contributors) expect(s.banned.has(p)).toBe(false);
  }
  if (s.phase !== "setup") for (const p of queueOrder(s)) expect(s.banned.has(p)).toBe(false);
  // Accepted contributions leave the round only with a drop that lists them, a restart, or the aggregation.
  const prev = currentRound(before);
  if (prev) {
    const accepted = prev.chunks.flatMap((c) => c.contributions.filter((x) => x.verified).map((x) => x.hash));
    const kept = new Set((currentRound(s)?.chunks ?? []).flatMap((c) => c.contributions.map((x) => x.hash)));
    const discarded = new Set(events.flatMap((e) => (e.type === "ParticipantDropped" ? (e.discarded ?? []).map((d) => d.hash) : [])));
    const ended = events.some((e) => e.type === "RoundRestarted" || e.type === "RoundAggregated");
    for (const h of accepted) if (!kept.has(h) && !ended) expect(discarded).toContain(h);
  }
}

/** Honest continuation: everyone in the round works, every upload is accepted, heartbeats are fresh. */
function finishHonestly(w: World): number {
  const target = w.state.phase === "setup" ? 0 : w.state.lastRound + 1;
  for (let step = 0; step < 400; step++) {
    if (w.state.phase !== "setup" && w.state.lastRound >= target) return step;
    const round = currentRound(w.state);
    if (!round) {
      if (w.state.phase !== "setup" && queueLength(w.state) === 0) w.run({ kind: "join", who: step % PEOPLE.length });
      w.run({ kind: "tick", dt: 1_000, silent: [] });
      continue;
    }
    for (const p of round.contributors) w.work(p);
    w.verify(true);
    w.aggregate();
    w.run({ kind: "tick", dt: 10, silent: [] });
  }
  return Infinity;
}

describe("ceremony core under random fault schedules", () => {
  it("keeps its invariants, replays identically, and an honest continuation completes a round", () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 120 }), (actions) => {
        const w = new World();
        for (const a of actions) {
          const before = w.state;
          const n = w.log.length;
          w.run(a);
          checkInvariants(w, before, w.log.slice(n));
        }
        // The shell's queue index (positions in O(log n)) follows the core's queue exactly.
        const index = new QueueIndex();
        for (const e of w.log) index.apply(e);
        if (w.state.phase !== "setup") {
          const order = queueOrder(w.state);
          expect(index.page(0, order.length + 5)).toEqual(order);
          order.forEach((p, i) => expect(index.position(p)).toBe(i + 1));
          expect(index.length).toBe(order.length);
          if (order.length > 2) expect(index.page(1, 2)).toEqual(order.slice(1, 3));
        }
        // The log is the state: every event passes the schema the event log enforces, and replay gives the same state.
        for (const e of w.log) parseEvent(JSON.parse(JSON.stringify(e)));
        expect(fold(w.log)).toEqual(w.state);
        if (w.state.phase === "finalized") return;
        expect(finishHonestly(w)).toBeLessThan(400);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Commands a key that is neither an admin, a verifier nor the coordinator might send about anyone. */
const STRANGER = "mallory";
const strangerCommand = (now: number): fc.Arbitrary<Command> => {
  const who = fc.constantFrom(...PEOPLE, "r", "v", "admin", STRANGER);
  const k = fc.nat(5);
  const hash = fc.constantFrom("ab1", "ab2", "cc", "");
  return fc.oneof(
    fc.record({ type: fc.constant("LockChunk" as const), now: fc.constant(now), participant: fc.constant(STRANGER), chunk: k }),
    fc.record({ type: fc.constant("RecordContribution" as const), now: fc.constant(now), participant: fc.constant(STRANGER), chunk: k, hash }),
    fc.record({
      type: fc.constant("RecordVerification" as const),
      now: fc.constant(now),
      verifier: fc.constant(STRANGER),
      round: fc.nat(3),
      chunk: k,
      position: fc.nat(3),
      hash,
      ok: fc.boolean(),
      chunk0: fc.constant({ publicKeyId: "kx", nextChallenge: "cx" }),
    }),
    fc.record({ type: fc.constantFrom("Drop" as const, "Ban" as const), now: fc.constant(now), actor: fc.constant(STRANGER), participant: who, reason: fc.constant("x") }),
    fc.record({ type: fc.constant("Unban" as const), now: fc.constant(now), actor: fc.constant(STRANGER), participant: who }),
    fc.record({ type: fc.constant("RestartRound" as const), now: fc.constant(now), actor: fc.constant(STRANGER), reason: fc.constant("x") }),
    fc.record({ type: fc.constant("Finalize" as const), now: fc.constant(now), actor: fc.constant(STRANGER), beacon: fc.constant({ hash: "ab".repeat(32), numIterationsExp: 1 }) }),
    fc.record({
      type: fc.constantFrom("AddVerifier" as const, "RemoveVerifier" as const, "AddAdmin" as const, "RemoveAdmin" as const, "RegisterReplacement" as const),
      now: fc.constant(now),
      actor: fc.constant(STRANGER),
      participant: who,
    }),
    fc.record({ type: fc.constant("IssueInvitations" as const), now: fc.constant(now), actor: fc.constant(STRANGER), hashes: fc.constant<string[]>(["ab".repeat(32)]) }),
    fc.record({ type: fc.constant("LeaveQueue" as const), now: fc.constant(now), participant: fc.constant(STRANGER) }),
  );
};

describe("strangers", () => {
  it("whatever a stranger sends, about itself or anyone, nothing changes", () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 80 }), fc.array(strangerCommand(t0 + 1), { minLength: 1, maxLength: 20 }), (actions, commands) => {
        const w = new World();
        for (const a of actions) w.run(a);
        for (const command of commands) {
          let err: unknown = null;
          try {
            decide({ ...command, now: w.now }, w.state);
          } catch (e) {
            err = e;
          }
          expect(err, JSON.stringify(command)).toBeInstanceOf(DomainError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

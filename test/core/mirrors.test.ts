// Mirror membership as a decider: registration (admitted at once or by an admin), retirement, the epoch each change
// starts with its threshold, evidence against a mirror, and what may follow finalization.
import { describe, expect, it } from "vitest";
import { mirrorThreshold } from "../../src/core/mirrors.ts";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { refusal } from "../../src/core/legality.ts";
import { fold } from "../../src/core/evolve.ts";
import { given, initialized, now } from "./given.ts";

const key = (n: number): string => n.toString(16).padStart(2, "0").repeat(48);
const sig = "ab".repeat(96);
const url = "http://mirror.example:8080";
const registered = (n: number): CeremonyEvent => ({ type: "MirrorRegistered", mirror: key(n), url, pop: sig, signature: sig, at: now });
const register = (n: number, admit: boolean, threshold = 0) => ({ type: "RegisterMirror" as const, now, mirror: key(n), url, pop: sig, signature: sig, admit, threshold });

describe("mirror membership", () => {
  it("the default threshold is ⌈2n/3⌉; a setting is capped at n", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => mirrorThreshold(n, 0))).toEqual([0, 1, 2, 2, 3, 4, 4, 14]);
    expect(mirrorThreshold(3, 5)).toBe(3);
    expect(mirrorThreshold(5, 2)).toBe(2);
  });

  it("a registration that admits starts epoch 1 with its key", () => {
    given(initialized)
      .when(register(1, true))
      .then([registered(1), { type: "MirrorAdmitted", mirror: key(1), by: "coord" }, { type: "EpochStarted", epoch: 1, members: [key(1)], threshold: 1 }]);
  });

  it("otherwise the mirror waits for an admin, whose admission starts the next epoch", () => {
    const after = given(initialized).when(register(1, false)).then([registered(1)]);
    expect(after.phase !== "setup" && after.mirrors.epoch.number).toBe(0);
    given(initialized, registered(1))
      .when({ type: "AdmitMirror", now, actor: "admin", mirror: key(1), threshold: 0 })
      .then([{ type: "MirrorAdmitted", mirror: key(1), by: "admin" }, { type: "EpochStarted", epoch: 1, members: [key(1)], threshold: 1 }]);
    given(initialized, registered(1)).when({ type: "AdmitMirror", now, actor: "alice", mirror: key(1), threshold: 0 }).refuses("NOT_AN_ADMIN");
    given(initialized).when({ type: "AdmitMirror", now, actor: "admin", mirror: key(1), threshold: 0 }).refuses("NOT_REGISTERED");
  });

  it("each change starts an epoch that keeps the others, in order, with the threshold for its size", () => {
    let events: CeremonyEvent[] = [initialized];
    for (const n of [1, 2, 3]) {
      const expected = expectEpoch(fold(events), n);
      given(...events).when(register(n, true)).then(expected);
      events = [...events, ...expected];
    }
    const state = fold(events);
    expect(state.phase !== "setup" && state.mirrors.epoch).toEqual({ number: 3, members: [key(1), key(2), key(3)], threshold: 2 });
    given(...events)
      .when({ type: "RetireMirror", now, actor: "admin", mirror: key(2), reason: "moved", threshold: 0 })
      .then([{ type: "MirrorRetired", mirror: key(2), reason: "moved", by: "admin" }, { type: "EpochStarted", epoch: 4, members: [key(1), key(3)], threshold: 2 }]);
    given(...events).when({ type: "RetireMirror", now, actor: "admin", mirror: key(9), reason: "", threshold: 0 }).refuses("NOT_REGISTERED");
    given(...events).when(register(2, true)).refuses("ALREADY_REGISTERED");
  });

  it("an epoch follows a membership change only, numbered next, with a threshold that fits", () => {
    const s = fold([initialized, registered(1), { type: "MirrorAdmitted", mirror: key(1), by: "coord" }]);
    expect(refusal(s, { type: "EpochStarted", epoch: 1, members: [key(1)], threshold: 1 })).toBeNull();
    expect(refusal(s, { type: "EpochStarted", epoch: 2, members: [key(1)], threshold: 1 })?.code).toBe("INVALID_COMMAND");
    expect(refusal(s, { type: "EpochStarted", epoch: 1, members: [key(1)], threshold: 2 })?.code).toBe("INVALID_COMMAND");
    expect(refusal(s, { type: "EpochStarted", epoch: 1, members: [key(1), key(2)], threshold: 1 })?.code).toBe("INVALID_COMMAND");
    const started = fold([{ type: "EpochStarted", epoch: 1, members: [key(1)], threshold: 1 }], s);
    expect(refusal(started, { type: "EpochStarted", epoch: 2, members: [key(1)], threshold: 1 })?.code).toBe("INVALID_COMMAND");
  });

  it("registrations name a BLS key, an http(s) URL and 96-byte proofs", () => {
    const s = fold([initialized]);
    expect(refusal(s, { ...registered(1), mirror: "ab".repeat(32) } as CeremonyEvent)?.code).toBe("INVALID_COMMAND");
    expect(refusal(s, { ...registered(1), url: "ftp://x" } as CeremonyEvent)?.code).toBe("INVALID_COMMAND");
    expect(refusal(s, { ...registered(1), pop: "ab" } as CeremonyEvent)?.code).toBe("INVALID_COMMAND");
  });

  it("evidence marks a mirror faulty once; it can no longer be admitted", () => {
    const evidence = [{ message: "aa", signature: sig }];
    const fault = { type: "RecordMirrorFault" as const, now, mirror: key(1), code: "FALSE_STATEMENT" as const, statements: evidence };
    const after = given(initialized, registered(1)).when(fault).then([{ type: "MirrorMisbehaved", mirror: key(1), code: "FALSE_STATEMENT", statements: evidence, by: "coord" }]);
    expect(after.phase !== "setup" && after.mirrors.faulty).toEqual([key(1)]);
    const faulty: CeremonyEvent = { type: "MirrorMisbehaved", mirror: key(1), code: "FALSE_STATEMENT", statements: evidence, by: "coord" };
    given(initialized, registered(1), faulty).when(fault).refuses("MIRROR_FAULTY");
    given(initialized, registered(1), faulty).when({ type: "AdmitMirror", now, actor: "admin", mirror: key(1), threshold: 0 }).refuses("MIRROR_FAULTY");
    expect(refusal(fold([initialized, registered(1)]), { ...faulty, by: "admin" })?.code).toBe("NOT_AN_ADMIN");
  });

  it("mirrors may still join a finalized ceremony, to certify and serve it", () => {
    const s = fold([initialized]);
    const finalized = { ...s, phase: "finalized", beacon: { hash: "ab".repeat(32), numIterationsExp: 1 }, finalHash: "cd" } as typeof s;
    expect(refusal(finalized, registered(1))).toBeNull();
    expect(refusal(finalized, { type: "ParticipantQueued", participant: "p", at: now })?.code).toBe("CEREMONY_FINALIZED");
  });
});

function expectEpoch(before: ReturnType<typeof fold>, n: number): CeremonyEvent[] {
  const members = before.phase === "setup" ? [] : before.mirrors.members;
  const next = [...members, key(n)];
  const epoch = before.phase === "setup" ? 1 : before.mirrors.epoch.number + 1;
  return [registered(n), { type: "MirrorAdmitted", mirror: key(n), by: "coord" }, { type: "EpochStarted", epoch, members: next, threshold: mirrorThreshold(next.length, 0) }];
}

// The queue's schedule as a core fact: the operator's schedule is an event, the tick opens and closes the queue when
// the time passed in says so, joins outside the window are refused with stable codes, and the log replays to it.
import { describe, expect, it } from "vitest";
import { fold } from "../../src/core/evolve.ts";
import { refusal } from "../../src/core/legality.ts";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { statusView } from "../../src/core/views.ts";
import { given, initialized, now, queued, verifier } from "./given.ts";

const HOUR = 3_600_000;
const opensAt = now + HOUR;
const closesAt = now + 3 * HOUR;
const scheduled: CeremonyEvent = { type: "QueueScheduled", opensAt, closesAt, at: now, by: "coord" };
const join = (participant: string, at: number) => ({ type: "JoinQueue" as const, now: at, participant, role: "contributor" as const });

describe("queue schedule", () => {
  it("is set by the coordinator or an admin, never by anyone else; the queue must open before it closes", () => {
    given(initialized).when({ type: "ScheduleQueue", now, actor: "coord", opensAt, closesAt }).then([scheduled]);
    given(initialized).when({ type: "ScheduleQueue", now, actor: "admin", opensAt: null, closesAt }).then([{ type: "QueueScheduled", opensAt: null, closesAt, at: now, by: "admin" }]);
    given(initialized).when({ type: "ScheduleQueue", now, actor: "mallory", opensAt, closesAt }).refuses("NOT_AN_ADMIN");
    given(initialized).when({ type: "ScheduleQueue", now, actor: "coord", opensAt: closesAt, closesAt: opensAt }).refuses("INVALID_COMMAND");
  });

  it("refuses joins before the opening with QUEUE_NOT_OPEN and after the closing with QUEUE_CLOSED", () => {
    given(initialized, scheduled).when(join("alice", now)).refuses("QUEUE_NOT_OPEN");
    given(initialized, scheduled).when(join("alice", opensAt - 1)).refuses("QUEUE_NOT_OPEN");
    given(initialized, scheduled, { type: "QueueOpened", at: opensAt }, { type: "QueueClosed", at: closesAt }).when(join("alice", closesAt)).refuses("QUEUE_CLOSED");
  });

  it("the tick opens the queue at its time and closes it at its time, once each", () => {
    given(initialized, scheduled).when({ type: "Tick", now: opensAt - 1 }).then([]);
    const open = given(initialized, scheduled).when({ type: "Tick", now: opensAt }).then([{ type: "QueueOpened", at: opensAt }]);
    expect(statusView(open).queue.status).toBe("open");
    given(initialized, scheduled, { type: "QueueOpened", at: opensAt }).when({ type: "Tick", now: opensAt + 1 }).then([]);
    const closed = given(initialized, scheduled, { type: "QueueOpened", at: opensAt }).when({ type: "Tick", now: closesAt }).then([{ type: "QueueClosed", at: closesAt }]);
    expect(statusView(closed).queue).toMatchObject({ status: "closed", opensAt: new Date(opensAt).toISOString(), closesAt: new Date(closesAt).toISOString() });
    // Down across the whole window: the next tick closes it directly.
    given(initialized, scheduled).when({ type: "Tick", now: closesAt + 1 }).then([{ type: "QueueClosed", at: closesAt + 1 }]);
  });

  it("a join at the opening time opens the queue itself, without waiting for the tick", () => {
    given(initialized, scheduled).when(join("alice", opensAt)).then([{ type: "QueueOpened", at: opensAt }, queued("alice", opensAt)]);
    given(initialized, scheduled, { type: "QueueOpened", at: opensAt }).when(join("alice", closesAt)).refuses("QUEUE_CLOSED");
  });

  it("after closing, those already queued still get their round", () => {
    const events = [initialized, verifier, { ...scheduled, opensAt: null }, queued("alice"), queued("bob")];
    const s = given(...events).when({ type: "Tick", now: closesAt }).then([
      { type: "QueueClosed", at: closesAt },
      { type: "RoundStarted", round: 1, contributors: ["alice", "bob"], startedAt: closesAt },
    ]);
    expect(s.phase).toBe("running");
  });

  it("a new schedule takes effect as set: removing it opens the queue, a later closing reopens it", () => {
    const closed = [initialized, scheduled, { type: "QueueOpened", at: opensAt } as CeremonyEvent, { type: "QueueClosed", at: closesAt } as CeremonyEvent];
    const s = given(...closed).when({ type: "ScheduleQueue", now: closesAt + 5, actor: "coord", opensAt: null, closesAt: null }).then([
      { type: "QueueScheduled", opensAt: null, closesAt: null, at: closesAt + 5, by: "coord" },
    ]);
    expect(statusView(s).queue.status).toBe("open");
    given(...closed, { type: "QueueScheduled", opensAt, closesAt: closesAt + HOUR, at: closesAt + 5, by: "coord" }).when(join("alice", closesAt + 6)).then([queued("alice", closesAt + 6)]);
  });

  it("the legality check refuses openings and closings the schedule does not call for (the public verifier's check)", () => {
    const s = fold([initialized, scheduled]);
    expect(refusal(s, { type: "QueueOpened", at: opensAt - 1 })?.code).toBe("INVALID_COMMAND");
    expect(refusal(s, { type: "QueueClosed", at: closesAt - 1 })?.code).toBe("INVALID_COMMAND");
    expect(refusal(fold([initialized]), { type: "QueueOpened", at: now })?.code).toBe("INVALID_COMMAND");
    expect(refusal(s, { type: "QueueOpened", at: opensAt })).toBeNull();
    expect(refusal(s, queued("alice", now))?.code).toBe("QUEUE_NOT_OPEN");
  });

  it("the log without a schedule is open, as every ceremony before schedules existed", () => {
    expect(statusView(fold([initialized])).queue).toMatchObject({ status: "open", opensAt: null, closesAt: null });
    given(initialized).when(join("alice", now)).then([queued("alice")]);
  });
});

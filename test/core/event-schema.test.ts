// parseEvent's hand-written path for the lobby's events answers exactly what the valibot schema answers.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { lobbyEvent, parseEvent } from "../../src/core/event-schema.ts";

/** The two lobby events as the schema in event-schema.ts declares them (copied, so a drift in either shows here). */
const Lobby = v.variant("type", [
  v.object({ type: v.literal("ParticipantQueued"), participant: v.string(), at: v.pipe(v.number(), v.integer(), v.minValue(0)), identity: v.optional(v.string()) }),
  v.object({ type: v.literal("ParticipantLeftQueue"), participant: v.string() }),
]);

const parseSays = (input: unknown): unknown => {
  try {
    return { ok: parseEvent(input) };
  } catch {
    return "refused";
  }
};

const TYPES = ["ParticipantQueued", "ParticipantLeftQueue", "ChunkLocked", undefined];
const VALUES = ["p", "", "ab".repeat(32), 0, -0, 1, -1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, null, true, [], {}, undefined, "1"];

describe("the lobby's events, parsed by hand", () => {
  it("gives the schema's verdict and output on every combination of type, participant, at, identity and extra keys", () => {
    let accepted = 0;
    for (const type of TYPES) {
      for (const participant of VALUES) {
        for (const at of VALUES) {
          for (const identity of [...VALUES, "absent"]) {
            for (const extra of [{}, { by: "x" }]) {
              const input: Record<string, unknown> = { type, participant, at, ...extra };
              if (identity !== "absent") input.identity = identity;
              if (participant === undefined) delete input.participant;
              const fromSchema = v.safeParse(Lobby, input);
              const parsed = parseSays(input);
              if (type === "ParticipantQueued" || type === "ParticipantLeftQueue") {
                expect(parsed, JSON.stringify(input)).toStrictEqual(fromSchema.success ? { ok: fromSchema.output } : "refused");
                if (fromSchema.success) accepted++;
              }
              const hand = lobbyEvent(input);
              if (hand !== undefined) expect(fromSchema.success && hand).toStrictEqual(fromSchema.success && fromSchema.output);
            }
          }
        }
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it("leaves every other event to the schema", () => {
    expect(lobbyEvent({ type: "ChunkLocked", round: 1, chunk: 0, participant: "p", at: 1 })).toBeUndefined();
    expect(parseSays({ type: "ChunkLocked", round: 1, chunk: 0, participant: "p", at: 1 })).toStrictEqual({ ok: { type: "ChunkLocked", round: 1, chunk: 0, participant: "p", at: 1 } });
  });
});

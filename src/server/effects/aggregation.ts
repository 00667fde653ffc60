/** Aggregation: once every chunk of the round holds every contributor's verified contribution, the round's result becomes the accumulator, and its hash the next challenge. */
import { roundComplete } from "../../core/rules.ts";
import { currentRound } from "../../core/state.ts";
import { aggregateChallenge } from "../../facts/aggregate.ts";
import type { EffectPort } from "./port.ts";

/** Aggregates the current round if it is complete; false when there is nothing to do. */
export async function aggregateIfComplete(port: EffectPort): Promise<boolean> {
  const round = currentRound(port.state());
  if (!round || !roundComplete(round)) return false;
  const challenge = await aggregateChallenge(port.curve, port.params(), round, port.artifacts);
  await port.execute({ type: "AggregateRound", now: port.now(), round: round.number, challenge });
  return true;
}

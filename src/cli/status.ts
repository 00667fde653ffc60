/** `ceremony status`: the coordinator's public status, as a summary or JSON. */
import { CeremonyClient } from "../client/http.ts";
import { coordinatorUrl, parseFlags } from "./args.ts";
import { mirrorLines } from "./mirror-status.ts";

export const usage = `ceremony status --coordinator URL [--json]
  Prints the phase, queue, current round and each chunk's progress.`;

export async function status(argv: string[]): Promise<void> {
  const { values } = parseFlags("status", argv, { coordinator: { type: "string" }, json: { type: "boolean" } });
  const s = await new CeremonyClient(coordinatorUrl("status", values.coordinator), null).status();
  if (values.json) {
    console.log(JSON.stringify(s, null, 2));
    return;
  }
  console.log(`phase ${s.phase}; last aggregated round ${s.lastRound}; queue ${s.queue.length}; verifiers ${s.verifiers}`);
  if (s.round) {
    console.log(`round ${s.round.number}: ${s.round.contributors.length} contributors, ${s.round.percentDone}% verified`);
    for (const c of s.round.chunks) console.log(`  chunk ${c.chunk}: ${c.verified}/${c.contributions} verified${c.lockedBy ? `, locked by ${c.lockedBy.slice(0, 12)}…` : ""}`);
  }
  if (s.finalHash) console.log(`final .ptau hash ${s.finalHash}`);
  for (const line of mirrorLines(s)) console.log(line);
}

/**
 * `ceremony admin <action>`: admin commands, signed with an admin key. finalize shows what it is about to do and
 * asks for confirmation (--yes for scripts): it closes the ceremony for good.
 */
import { createInterface } from "node:readline/promises";
import type { AdminAction } from "../api/schemas.ts";
import { readKeyFile } from "../auth/keys.ts";
import { CeremonyClient } from "../client/http.ts";
import { MirrorsClient } from "../client/mirrors.ts";
import { BEACON_MAX_ITERATIONS_EXP, BEACON_MIN_BYTES } from "../core/rules.ts";
import { newToken, tokenIdentity } from "../identity/index.ts";
import { isKeyHex } from "../lib/hex.ts";
import { coordinatorUrl, parseFlags, requireString } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony admin <action> --coordinator URL --key FILE [--reason TEXT]
  actions: drop|ban|unban PARTICIPANT, restart-round, add-verifier|remove-verifier|add-admin|remove-admin KEY,
           finalize --beacon HEX [--iterations E] [--yes], invite --count N,
           admit-mirror|retire-mirror MIRROR (a mirror's 96-hex BLS key; each starts a new mirror epoch)
  invite mints N single-use invitation tokens here and prints one per line; the coordinator receives only their
  hashes (serve --identity token admits a participant once per token: contribute --token TOKEN).
  finalize closes the queue, lets the current round finish and aggregate, applies the beacon (${BEACON_MIN_BYTES} to 64 bytes of
  public randomness, hashed 2^E times, E in 0..${BEACON_MAX_ITERATIONS_EXP}, default 10) and publishes the final .ptau at
  GET /v1/ceremony/final.ptau. It shows a summary and asks for confirmation; --yes skips the question.`;

const WITH_PARTICIPANT = ["drop", "ban", "unban", "add-verifier", "remove-verifier", "add-admin", "remove-admin"] as const;
type WithParticipant = (typeof WITH_PARTICIPANT)[number];
const isWithParticipant = (a: string): a is WithParticipant => (WITH_PARTICIPANT as readonly string[]).includes(a);

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError("admin finalize: not a terminal to confirm on; add --yes to finalize without asking");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function finalize(client: CeremonyClient, beacon: string, numIterationsExp: number, yes: boolean): Promise<unknown> {
  if (!/^(?:[0-9a-f]{2}){32,64}$/.test(beacon)) throw new CliError(`admin finalize: --beacon must be ${BEACON_MIN_BYTES} to 64 bytes of hex (public randomness, e.g. a future block hash)`);
  if (!Number.isInteger(numIterationsExp) || numIterationsExp < 0 || numIterationsExp > BEACON_MAX_ITERATIONS_EXP) {
    throw new CliError(`admin finalize: --iterations must be an integer in 0..${BEACON_MAX_ITERATIONS_EXP}`);
  }
  const s = await client.status();
  const round = s.round ? `round ${s.round.number} running (${s.round.percentDone}% verified), which will finish first` : "no round running";
  const summary =
    `admin finalize: ceremony ${s.ceremonyId?.slice(0, 16) ?? "?"}…, phase ${s.phase}; ${s.lastRound} round(s) aggregated; ${round}; ` +
    `${s.queue.length} queued participant(s) will not contribute; beacon ${beacon.slice(0, 16)}… hashed 2^${numIterationsExp} times`;
  // Asked: the summary first. Confirmed by --yes (a script): shown once the coordinator accepted, so a refusal stays one line.
  if (!yes) {
    console.error(summary);
    if (!(await confirm("Close the ceremony for good and publish the final .ptau?"))) throw new CliError("admin finalize: not confirmed; nothing changed", 1);
  }
  const result = await client.admin("finalize", { beacon, numIterationsExp });
  if (yes) console.error(summary);
  return result;
}

export async function admin(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    "admin",
    argv,
    {
      coordinator: { type: "string" },
      key: { type: "string" },
      reason: { type: "string" },
      beacon: { type: "string" },
      iterations: { type: "string" },
      yes: { type: "boolean" },
      count: { type: "string" },
    },
    true,
  );
  const [action, participant] = positionals;
  const client = new CeremonyClient(coordinatorUrl("admin", values.coordinator), await readKeyFile(requireString("admin", values.key, "--key")));
  const reason = values.reason ?? "";
  let result: unknown;
  if (action !== undefined && isWithParticipant(action)) {
    if (!participant || !isKeyHex(participant)) throw new CliError(`admin ${action}: give the participant's public key (64 hex)`);
    result = await client.admin(action satisfies AdminAction, { participant, reason });
  } else if (action === "admit-mirror" || action === "retire-mirror") {
    if (!participant || !/^[0-9a-f]{96}$/.test(participant)) throw new CliError(`admin ${action}: give the mirror's BLS public key (96 hex)`);
    result = await new MirrorsClient(coordinatorUrl("admin", values.coordinator), await readKeyFile(requireString("admin", values.key, "--key"))).admin(action === "admit-mirror" ? "admit" : "retire", participant, reason);
  } else if (action === "restart-round") {
    result = await client.admin(action, { reason });
  } else if (action === "invite") {
    const count = Number(values.count ?? "1");
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new CliError("admin invite: --count must be an integer in 1..10000");
    const tokens = Array.from({ length: count }, () => newToken());
    await client.admin("invite", { hashes: tokens.map(tokenIdentity) });
    console.error(`admin invite: ${count} invitation(s) issued; give each participant one token (contribute --token TOKEN)`);
    for (const t of tokens) console.log(t);
    return;
  } else if (action === "finalize") {
    const beacon = requireString("admin finalize", values.beacon, "--beacon").toLowerCase();
    result = await finalize(client, beacon, values.iterations === undefined ? 10 : Number(values.iterations), values.yes === true);
  } else {
    throw new CliError(`admin: unknown action "${action ?? ""}"; expected ${[...WITH_PARTICIPANT, "restart-round", "finalize", "invite", "admit-mirror", "retire-mirror"].join(", ")}`);
  }
  console.log(JSON.stringify(result));
}

/**
 * `ceremony admin <action>`: admin commands, signed with an admin key. finalize shows what it is about to do and
 * asks for confirmation (--yes for scripts): it closes the ceremony for good.
 */
import { createInterface } from "node:readline/promises";
import type { AdminAction } from "../api/schemas.ts";
import { readKeyFile } from "../auth/keys.ts";
import type { CeremonyClient } from "../client/http.ts";
import { MirrorsClient } from "../client/mirrors.ts";
import { BEACON_MAX_ITERATIONS_EXP, BEACON_MIN_BYTES } from "../core/rules.ts";
import { EthKeyFileError, newToken, readEthKeyFile, tokenIdentity } from "../identity/index.ts";
import { adminId } from "../auth/ethereum.ts";
import type { RequestKey } from "../auth/sign.ts";
import { isKeyHex } from "../lib/hex.ts";
import { parseFlags, requireString } from "./args.ts";
import { connect, CONNECT_FLAGS, CONNECT_HELP, CONNECT_USAGE } from "./connect.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony admin <action> ${CONNECT_USAGE} (--key FILE | --eth-key FILE) [--reason TEXT]
  actions: drop|ban|unban PARTICIPANT, restart-round, add-verifier|remove-verifier KEY, add-admin|remove-admin KEY|0xADDRESS,
           finalize --beacon HEX [--iterations E] [--yes], invite --count N,
           admit-mirror|retire-mirror MIRROR (a mirror's 96-hex BLS key; each starts a new mirror epoch)
  --key signs with an ed25519 admin key (keygen); --eth-key with an Ethereum admin's key (its address given to serve
  --admin or add-admin): a file with the private key in hex, or JSON {"privateKey", "address"}.
  invite mints N single-use invitation tokens here and prints one per line; the coordinator receives only their
  hashes (serve --identity token admits a participant once per token: contribute --token TOKEN).
  finalize closes the queue, lets the current round finish and aggregate, applies the beacon (${BEACON_MIN_BYTES} to 64 bytes of
  public randomness, hashed 2^E times, E in 0..${BEACON_MAX_ITERATIONS_EXP}, default 10) and publishes the final .ptau at
  GET /v1/ceremony/final.ptau. It shows a summary and asks for confirmation; --yes skips the question.
${CONNECT_HELP}`;

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

/** The admin's signing key: an ed25519 key file (--key) or an Ethereum key file (--eth-key), exactly one. */
async function signingKey(key: string | undefined, ethKey: string | undefined): Promise<RequestKey> {
  if (key !== undefined && ethKey !== undefined) throw new CliError("admin: give --key or --eth-key, not both");
  if (ethKey === undefined) return readKeyFile(requireString("admin", key, "--key (or --eth-key)"));
  try {
    return await readEthKeyFile(ethKey);
  } catch (err) {
    if (err instanceof EthKeyFileError) throw new CliError(`admin: --eth-key ${err.message}`);
    throw err;
  }
}

export async function admin(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    "admin",
    argv,
    {
      ...CONNECT_FLAGS,
      key: { type: "string" },
      "eth-key": { type: "string" },
      reason: { type: "string" },
      beacon: { type: "string" },
      iterations: { type: "string" },
      yes: { type: "boolean" },
      count: { type: "string" },
    },
    true,
  );
  const [action, participant] = positionals;
  const key = await signingKey(values.key, values["eth-key"]);
  const { client, url } = await connect("admin", values, key);
  const reason = values.reason ?? "";
  let result: unknown;
  if (action === "add-admin" || action === "remove-admin") {
    const id = adminId(participant ?? "");
    if (id === null) throw new CliError(`admin ${action}: give the admin's ed25519 public key (64 hex) or Ethereum address (0x and 40 hex)`);
    result = await client.admin(action, { participant: id, reason });
  } else if (action !== undefined && isWithParticipant(action)) {
    if (!participant || !isKeyHex(participant)) throw new CliError(`admin ${action}: give the participant's public key (64 hex)`);
    result = await client.admin(action satisfies AdminAction, { participant, reason });
  } else if (action === "admit-mirror" || action === "retire-mirror") {
    if (!participant || !/^[0-9a-f]{96}$/.test(participant)) throw new CliError(`admin ${action}: give the mirror's BLS public key (96 hex)`);
    result = await new MirrorsClient(url, key).admin(action === "admit-mirror" ? "admit" : "retire", participant, reason);
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

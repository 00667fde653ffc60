/** `ceremony admin <drop|ban|unban|restart-round|finalize>`: admin commands, signed with an admin key. */
import { readKeyFile } from "../auth/keys.ts";
import { CeremonyClient } from "../client/http.ts";
import { coordinatorUrl, parseFlags, requireString } from "./args.ts";
import { CliError } from "./errors.ts";
import { isKeyHex } from "../lib/hex.ts";

export const usage = `ceremony admin <drop|ban|unban> PARTICIPANT | restart-round | finalize --beacon HEX [--iterations E]
    --coordinator URL --key FILE [--reason TEXT]
  finalize closes the queue, lets the current round finish and aggregate, applies the beacon (hashed 2^E times,
  default 10) and publishes the final .ptau at GET /v1/ceremony/final.ptau.`;

export async function admin(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    "admin",
    argv,
    { coordinator: { type: "string" }, key: { type: "string" }, reason: { type: "string" }, beacon: { type: "string" }, iterations: { type: "string" } },
    true,
  );
  const [action, participant] = positionals;
  const client = new CeremonyClient(coordinatorUrl("admin", values.coordinator), await readKeyFile(requireString("admin", values.key, "--key")));
  const reason = values.reason ?? "";
  let result: unknown;
  switch (action) {
    case "drop":
    case "ban":
    case "unban":
      if (!participant || !isKeyHex(participant)) throw new CliError(`admin ${action}: give the participant's public key (64 hex)`);
      result = await client.admin(action, { participant, reason });
      break;
    case "restart-round":
      result = await client.admin(action, { reason });
      break;
    case "finalize": {
      const beacon = requireString("admin finalize", values.beacon, "--beacon").toLowerCase();
      const numIterationsExp = values.iterations === undefined ? 10 : Number(values.iterations);
      if (!Number.isInteger(numIterationsExp) || numIterationsExp < 0 || numIterationsExp > 40) throw new CliError("admin finalize: --iterations must be an integer in 0..40");
      result = await client.admin("finalize", { beacon, numIterationsExp });
      break;
    }
    default:
      throw new CliError(`admin: unknown action "${action ?? ""}"; expected drop, ban, unban, restart-round or finalize`);
  }
  console.log(JSON.stringify(result));
}

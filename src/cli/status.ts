/** `ceremony status`: the coordinator's public status, readable or as JSON, once or as it changes (--watch). */
import type { Status } from "../api/schemas.ts";
import { ClientError } from "../client/errors.ts";
import { LiveFollower } from "../client/live.ts";
import { sleep } from "../lib/retry.ts";
import { intFlag, parseFlags } from "./args.ts";
import { connect, CONNECT_FLAGS, CONNECT_HELP, CONNECT_USAGE } from "./connect.ts";
import { renderStatus } from "./status-view.ts";

export const usage = `ceremony status ${CONNECT_USAGE} [--json] [--watch] [--interval S]
  Prints the phase, the queue, the current round with each chunk's progress (chunks and contributors counted from
  1), the beacon and the final .ptau once there is one, where to clone the transcript and how its backups fare, and
  the latest head the mirrors certified and which mirrors lag.
  --json: the status as the API answers it. --watch: again whenever it changes, until Ctrl-C: woken by the
  coordinator's live feed (/v1/events), and at least every --interval seconds (default 30) without it.
${CONNECT_HELP}`;

const COALESCE_MS = 250;

export async function status(argv: string[]): Promise<void> {
  const { values } = parseFlags("status", argv, { ...CONNECT_FLAGS, json: { type: "boolean" }, watch: { type: "boolean" }, interval: { type: "string" } });
  const interval = intFlag("status", values.interval, "--interval", 30, 1, 3600) * 1000;
  const { client, url } = await connect("status", values, null);
  const render = (s: Status): string => (values.json ? JSON.stringify(s, null, 2) : renderStatus(s, url));
  if (!values.watch) {
    console.log(render(await client.status()));
    return;
  }
  const tty = process.stdout.isTTY === true;
  const live = new LiveFollower(url).start();
  let last = "";
  for (;;) {
    let text: string;
    try {
      text = render(await client.status());
    } catch (err) {
      if (!(err instanceof ClientError && err.code === "COORDINATOR_UNREACHABLE")) throw err;
      text = `${last}\n(coordinator unreachable: ${err.message}; still trying)`;
    }
    if (text !== last) {
      if (tty) process.stdout.write("\x1b[2J\x1b[H");
      else if (last) console.log("");
      console.log(tty ? text : `--- ${new Date().toISOString()}\n${text}`);
      last = text;
    }
    // Something happened, or the interval passed; a burst of events makes one redraw.
    if (await live.next(interval)) await sleep(COALESCE_MS);
  }
}

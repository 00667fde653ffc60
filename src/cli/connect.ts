/**
 * A command's first contact with a coordinator: one answer within --timeout, or one line saying why not (refused,
 * unknown host, no answer, TLS). Only once the coordinator has answered do long-running commands ride out restarts.
 */
import type { CeremonyInfo } from "../api/schemas.ts";
import type { RequestKey } from "../auth/sign.ts";
import { CeremonyClient } from "../client/http.ts";
import type { RetryPolicy } from "../client/transport.ts";
import { coordinatorUrl, timeoutMs } from "./args.ts";

export const CONNECT_FLAGS = { coordinator: { type: "string" }, timeout: { type: "string" } } as const;
export const CONNECT_USAGE = "--coordinator URL [--timeout S]";
export const CONNECT_HELP = "  --timeout S: fail when the coordinator has not answered the first request in S seconds (default 5).";

/** Retries for as long as the command waits at first contact; each attempt is abandoned after the same time. */
export function firstContactPolicy(ms: number): RetryPolicy {
  return { giveUpAfterMs: ms, backoffMs: 250, maxBackoffMs: 1_000, attemptTimeoutMs: ms, unknownHostIsFatal: true };
}

export interface Connection {
  url: string;
  client: CeremonyClient;
  info: CeremonyInfo;
}

/**
 * Asks the coordinator for its ceremony within the timeout, then hands back a client signing as `key` (if any) with
 * `after` as its retry policy (default: the first contact's, for commands that make a few quick calls).
 */
export async function connect(command: string, values: { coordinator?: unknown; timeout?: unknown }, key: RequestKey | null, after?: RetryPolicy): Promise<Connection> {
  const url = coordinatorUrl(command, values.coordinator);
  const first = firstContactPolicy(timeoutMs(command, values.timeout));
  const info = await new CeremonyClient(url, null, first).ceremony();
  return { url, client: new CeremonyClient(url, key, after ?? first), info };
}

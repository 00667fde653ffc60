/**
 * `ceremony contribute`: join the queue, wait for a round, then contribute to every chunk as it becomes available
 * (the contributor loop of client/contributor.ts over HTTP) until the coordinator says done; then save the signed
 * receipts of the contributions that stayed in the round. Progress goes to standard error; standard output gets
 * only the receipt file's path (or JSON with --json). Ctrl-C leaves the queue, or gives up the position in the
 * round at once, and says so.
 */
import { writeFile } from "node:fs/promises";
import type { Receipt } from "../transcript/receipt.ts";
import { generateKeyPair, readKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { Contributor } from "../client/contributor.ts";
import type { CeremonyClient } from "../client/http.ts";
import { ethereumProof, tokenProof } from "../client/identity.ts";
import { LiveFollower, liveWaits } from "../client/live.ts";
import type { Instruction } from "../core/views.ts";
import { closeCurve, getCurve } from "../crypto/curve.ts";
import { initPairing } from "../crypto/pairing.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { sleep } from "../lib/retry.ts";
import { intFlag, parseFlags } from "./args.ts";
import { connect, CONNECT_FLAGS, CONNECT_HELP, CONNECT_USAGE } from "./connect.ts";
import { readEntropy } from "./entropy.ts";
import { CliError } from "./errors.ts";
import { WaitProgress } from "./progress.ts";

export const usage = `ceremony contribute ${CONNECT_USAGE} [--key FILE] [--token TOKEN | --eth-key FILE]
    [--entropy-file FILE|-] [--no-prompt] [--receipt FILE] [--json] [--poll-ms N] [--give-up-after-ms N]
  Joins the queue, waits for its round (showing its place, the rounds ahead and an estimated wait), contributes to
  every chunk (download, compute, upload), then saves the coordinator's signed receipts to --receipt (default
  receipt-<key>.json) and prints that file's path (--json: the receipts as JSON). Progress goes to standard error.
  Without --key a fresh key is used. Extra entropy is read from --entropy-file (- for standard input) or asked for
  at a prompt on a terminal (--no-prompt: never); the system's randomness is always used.
  Ctrl-C leaves the queue, or gives up this participant's position in the round at once (the round goes on without
  it); once every chunk is uploaded it exits and leaves the contributions in place. Exit status: 0 when the
  contributions are in the result; 1 with the code when dropped (DROPPED), banned (BANNED), refused, or the ceremony
  finalized first (FINALIZED); 130 after Ctrl-C. Rides out coordinator restarts once connected, retrying with
  backoff; gives up after --give-up-after-ms (default 300000) without an answer. --token: a ceremony that admits by
  invitation; --eth-key: one that admits by Ethereum (a file with the account's private key; it signs a Sign-In
  with Ethereum message).
${CONNECT_HELP}`;

/** How long a contributor that is done waits for its receipts to be committed (a restart may delay them). */
const RECEIPT_WAIT_MS = 120_000;

const OUTCOME_CODES = { banned: "BANNED", dropped: "DROPPED", finalized: "FINALIZED" } as const;

export async function contribute(argv: string[]): Promise<void> {
  const { values } = parseFlags("contribute", argv, {
    ...CONNECT_FLAGS,
    key: { type: "string" },
    "entropy-file": { type: "string" },
    "no-prompt": { type: "boolean" },
    "poll-ms": { type: "string" },
    receipt: { type: "string" },
    json: { type: "boolean" },
    "give-up-after-ms": { type: "string" },
    token: { type: "string" },
    "eth-key": { type: "string" },
  });
  if (values.token !== undefined && values["eth-key"] !== undefined) throw new CliError("contribute: give --token or --eth-key, not both");
  const pollMs = intFlag("contribute", values["poll-ms"], "--poll-ms", 500, 10);
  const giveUp = intFlag("contribute", values["give-up-after-ms"], "--give-up-after-ms", 5 * 60_000);
  const show = (line: string): void => void process.stderr.write(`contribute: ${line}\n`);
  const participant: ParticipantKey = values.key ? await readKeyFile(values.key) : generateKeyPair();
  // Retries of a restarting coordinator come back well within the heartbeat timeout: a restart's grace period is one.
  const { client, info, url } = await connect("contribute", values, participant, (ceremony) => ({
    giveUpAfterMs: giveUp,
    backoffMs: 250,
    maxBackoffMs: Math.max(250, Math.min(5_000, Math.floor(ceremony.heartbeatTimeoutMs / 3))),
    onRetry: (m) => show(`coordinator unreachable: ${m}`),
  }));
  const entropy = await readEntropy(values["entropy-file"], values["no-prompt"] !== true);
  show(`ceremony ${info.ceremonyId.slice(0, 16)}… (power ${info.power}, ${info.numChunks} chunks) as participant ${participant.publicKey.slice(0, 16)}…`);

  await initPairing();
  const curve = await getCurve();
  const pool = new WorkerPool();
  const proof = values.token !== undefined ? tokenProof(values.token) : values["eth-key"] !== undefined ? await ethereumProof(client, values["eth-key"]) : undefined;
  const progress = new WaitProgress(client, show);
  // Waits end when the coordinator publishes something (a round starts, a chunk is verified…), not on a timer; the
  // caps keep a round contributor checking in well within the heartbeat timeout.
  const live = new LiveFollower(url).start();
  const { pause, keepAliveMs } = liveWaits(live, pollMs, info.heartbeatTimeoutMs);
  const contributor = new Contributor(client, {
    ops: pool,
    curve,
    ...(entropy !== undefined ? { entropy } : {}),
    ...(proof ? { proof } : {}),
    log: show,
    onWait: (ins) => (ins.kind === "wait" ? progress.onWait(ins) : undefined),
    pause,
    keepAliveMs,
  });
  // Joining only once the feed is open: the round that starts on this join wakes it.
  await live.ready(3_000);
  const interrupted = onInterrupt(contributor, show);
  try {
    const done = await Promise.race([contributor.run(pollMs), interrupted]);
    if (done.kind !== "done") throw new Error(`contribute: stopped on ${done.kind}`);
    if (done.outcome !== "contributed") throw new CliError(`contribute: ${OUTCOME_CODES[done.outcome]}: ${done.reason}`, 1);
    show(done.reason);
    const receipts = await receiptsOf(client, contributor, info.numChunks, pollMs, show);
    const file = values.receipt ?? `receipt-${participant.publicKey.slice(0, 16)}.json`;
    await writeFile(file, `${JSON.stringify(receipts, null, 2)}\n`);
    show(`${receipts.length} signed receipt(s) saved; check them with \`ceremony verify-receipt ${file}\``);
    console.log(values.json ? JSON.stringify({ file, receipts }) : file);
  } finally {
    live.close();
    contributor.close();
    await pool.close();
    await closeCurve();
  }
}

/**
 * The receipts of the round this participant's contributions stayed in: signed once their verifications are
 * committed to the transcript, so waited for. A receipt of work a drop or restart discarded is never among them.
 */
async function receiptsOf(client: CeremonyClient, contributor: Contributor, numChunks: number, pollMs: number, show: (line: string) => void): Promise<Receipt[]> {
  const round = contributor.uploads.at(-1)?.round;
  const ours = async (): Promise<Receipt[]> => (await client.receipts()).filter((r) => round === undefined || r.round === round);
  let receipts = await ours();
  // A coordinator that restarted commits what it owes the transcript first: give it time, by the clock.
  const deadline = performance.now() + RECEIPT_WAIT_MS;
  while (receipts.length < numChunks && performance.now() < deadline) {
    await sleep(Math.max(pollMs, 250));
    receipts = await ours();
  }
  if (receipts.length < numChunks) {
    show(`${receipts.length} of ${numChunks} receipts so far (the rest are not committed yet): fetch them later with GET /v1/receipts/<key>`);
  }
  return receipts;
}

/**
 * Resolves never; on the first Ctrl-C (or SIGTERM) leaves the queue or gives up the position, says what happened and
 * exits 130. A second Ctrl-C exits at once.
 */
function onInterrupt(contributor: Contributor, show: (line: string) => void): Promise<Instruction> {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    void (async () => {
      const ins = contributor.current;
      const where = ins?.kind === "wait" ? ins.stage : ins?.kind === "lock" || ins?.kind === "contribute" ? "round" : "none";
      try {
        if (where === "queue") {
          await contributor.leave();
          show(`${signal}: left the queue`);
        } else if (where === "round") {
          await contributor.leave();
          show(`${signal}: gave up this position in the round: the coordinator drops it now and the round goes on without it; nothing of it stays in the result`);
        } else if (where === "uploaded") {
          show(`${signal}: every chunk is uploaded; the contributions stay in the round (fetch the receipts later: GET /v1/receipts/<key>)`);
        } else {
          show(`${signal}: stopped`);
        }
      } catch (err) {
        show(`${signal}: could not tell the coordinator (${err instanceof Error ? err.message : String(err)}); it drops this participant when it falls silent`);
      }
      process.exit(130);
    })();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return new Promise<Instruction>(() => {});
}

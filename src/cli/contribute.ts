/**
 * `ceremony contribute`: join the queue, wait for a round, then contribute to every chunk as it becomes available
 * (the contributor loop of client/contributor.ts over HTTP), showing progress, until the coordinator says done;
 * then saves and prints the signed receipts.
 */
import { writeFile } from "node:fs/promises";
import { generateKeyPair, readKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { Contributor } from "../client/contributor.ts";
import { CeremonyClient } from "../client/http.ts";
import { ethereumProof, tokenProof } from "../client/identity.ts";
import { closeCurve, getCurve } from "../crypto/curve.ts";
import { initMcl } from "../crypto/mcl.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { sleep } from "../lib/retry.ts";
import { coordinatorUrl, parseFlags } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony contribute --coordinator URL [--key FILE] [--token TOKEN | --eth-key FILE] [--entropy TEXT] [--receipt FILE]
    [--poll-ms N] [--give-up-after-ms N]
  Joins the queue, waits for its round, contributes to every chunk (download, compute, upload), then saves the
  coordinator's signed receipts (default receipt-<key>.json) and prints them. Without --key a fresh key is used.
  Rides out coordinator restarts and lost connections, retrying with backoff; gives up after --give-up-after-ms
  (default 300000) without an answer. A ceremony that admits by invitation needs --token; one that admits by
  Ethereum needs --eth-key (a file with the account's private key: it signs a Sign-In with Ethereum message).`;

export async function contribute(argv: string[]): Promise<void> {
  const { values } = parseFlags("contribute", argv, {
    coordinator: { type: "string" },
    key: { type: "string" },
    entropy: { type: "string" },
    "poll-ms": { type: "string" },
    receipt: { type: "string" },
    "give-up-after-ms": { type: "string" },
    token: { type: "string" },
    "eth-key": { type: "string" },
  });
  if (values.token !== undefined && values["eth-key"] !== undefined) throw new CliError("contribute: give --token or --eth-key, not both");
  const url = coordinatorUrl("contribute", values.coordinator);
  const pollMs = values["poll-ms"] ? Number(values["poll-ms"]) : 500;
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new CliError("contribute: --poll-ms must be an integer ≥ 10");
  const participant: ParticipantKey = values.key ? await readKeyFile(values.key) : generateKeyPair();
  const giveUp = values["give-up-after-ms"] ? Number(values["give-up-after-ms"]) : 5 * 60_000;
  if (!Number.isInteger(giveUp) || giveUp < 0) throw new CliError("contribute: --give-up-after-ms must be a non-negative integer");
  const client = new CeremonyClient(url, participant, {
    giveUpAfterMs: giveUp,
    backoffMs: 250,
    maxBackoffMs: 5_000,
    onRetry: (m) => console.log(`contribute: coordinator unreachable (${m})`),
  });
  const info = await client.ceremony();
  console.log(`contribute: ceremony ${info.ceremonyId.slice(0, 16)}… power ${info.power}, ${info.numChunks} chunks; participant ${participant.publicKey.slice(0, 16)}…`);

  await initMcl();
  const curve = await getCurve();
  const pool = new WorkerPool();
  const proof = values.token !== undefined ? tokenProof(values.token) : values["eth-key"] !== undefined ? await ethereumProof(client, values["eth-key"]) : undefined;
  const contributor = new Contributor(client, {
    ops: pool,
    curve,
    ...(values.entropy ? { entropy: values.entropy } : {}),
    ...(proof ? { proof } : {}),
    log: (line) => console.log(`contribute: ${line}`),
  });
  try {
    const done = await contributor.run(pollMs);
    console.log(`contribute: done: ${done.kind === "done" ? done.reason : ""}`);
    // Receipts are signed once the verifications are committed to the transcript; wait for all of them.
    let receipts = await client.receipts();
    for (let i = 0; i < 600 && receipts.length < info.numChunks; i++) {
      await sleep(pollMs);
      receipts = await client.receipts();
    }
    const file = values.receipt ?? `receipt-${participant.publicKey.slice(0, 16)}.json`;
    await writeFile(file, `${JSON.stringify(receipts, null, 2)}\n`);
    console.log(`contribute: ${receipts.length} signed receipt(s) saved to ${file}`);
    console.log(JSON.stringify({ receipts }));
  } finally {
    contributor.close();
    await pool.close();
    await closeCurve();
  }
}

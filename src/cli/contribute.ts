/**
 * `ceremony contribute`: join the queue, wait for a round, then contribute to every chunk as it becomes available
 * (lock, download, compute, upload), showing progress, until the coordinator says done; prints a receipt.
 */
import type { Curve } from "ffjavascript";
import { writeFile } from "node:fs/promises";
import { generateKeyPair, readKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { CeremonyClient, ClientError, type CeremonyInfo, type ClientInstruction } from "../client/client.ts";
import { chunkHash } from "../crypto/chunk.ts";
import { contributeChunk } from "../crypto/contribute.ts";
import { closeCurve, getCurve } from "../crypto/curve.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import { createContributorKey, destroyKey, type KeyPair } from "../crypto/keys.ts";
import { initMcl } from "../crypto/mcl.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { coordinatorUrl, parseFlags } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony contribute --coordinator URL [--key FILE] [--entropy TEXT] [--receipt FILE] [--poll-ms N] [--give-up-after-ms N]
  Joins the queue, waits for its round, contributes to every chunk (download, compute, upload), then saves the
  coordinator's signed receipts (default receipt-<key>.json) and prints them. Without --key a fresh key is used.
  Rides out coordinator restarts and lost connections, retrying with backoff; gives up after --give-up-after-ms
  (default 300000) without an answer.`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RoundKey {
  round: number;
  challenge: string;
  key: KeyPair;
}

export async function contribute(argv: string[]): Promise<void> {
  const { values } = parseFlags("contribute", argv, {
    coordinator: { type: "string" },
    key: { type: "string" },
    entropy: { type: "string" },
    "poll-ms": { type: "string" },
    receipt: { type: "string" },
    "give-up-after-ms": { type: "string" },
  });
  const url = coordinatorUrl("contribute", values.coordinator);
  const pollMs = values["poll-ms"] ? Number(values["poll-ms"]) : 500;
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new CliError("contribute: --poll-ms must be an integer ≥ 10");
  const participant: ParticipantKey = values.key ? await readKeyFile(values.key) : generateKeyPair();
  const giveUp = values["give-up-after-ms"] ? Number(values["give-up-after-ms"]) : 5 * 60_000;
  if (!Number.isInteger(giveUp) || giveUp < 0) throw new CliError("contribute: --give-up-after-ms must be a non-negative integer");
  const client = new CeremonyClient(url, participant, fetch, {
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
  let roundKey: RoundKey | null = null;
  const uploads: Array<{ round: number; chunk: number; hash: string }> = [];
  try {
    let instruction = await client.join("contributor").catch(async (err: unknown) => {
      if (err instanceof ClientError && (err.code === "ALREADY_QUEUED" || err.code === "ALREADY_IN_ROUND")) return client.instruction();
      throw err;
    });
    let lastShown = "";
    for (;;) {
      if (instruction.id !== lastShown) {
        lastShown = instruction.id;
        if (instruction.kind === "wait") console.log(`contribute: waiting: ${instruction.reason}`);
      }
      if (instruction.kind === "done") break;
      if (instruction.kind === "wait") {
        await sleep(pollMs);
        instruction = await client.heartbeat();
        continue;
      }
      if (instruction.kind === "lock") {
        instruction = await client.lock(instruction.chunk).catch(async (err: unknown) => {
          if (err instanceof ClientError && err.status === 409) return client.instruction();
          throw err;
        });
        continue;
      }
      // Acknowledge the instruction before acting on it; if the state moved on, take the new one.
      const acked = await client.acknowledge(instruction.id).catch((err: unknown) => {
        if (err instanceof ClientError && err.code === "STALE_INSTRUCTION") return null;
        throw err;
      });
      if (!acked || acked.kind !== "contribute") {
        instruction = acked ?? (await client.instruction());
        continue;
      }
      if (!roundKey || roundKey.round !== instruction.round || roundKey.challenge !== instruction.challenge) {
        if (roundKey) destroyKey(roundKey.key);
        roundKey = { round: instruction.round, challenge: instruction.challenge, key: createContributorKey(curve, fromHex(instruction.challenge), values.entropy) };
      }
      try {
        const uploaded = await contributeOne(client, pool, curve, info, instruction, roundKey.key);
        uploads.push({ round: instruction.round, chunk: instruction.chunk, hash: uploaded.hash });
        instruction = uploaded.instruction;
      } catch (err) {
        // The state moved on meanwhile (an earlier attempt was recorded before a restart, a drop, a restart):
        // never resend what was acknowledged; follow the coordinator's current instruction.
        if (!(err instanceof ClientError && err.status === 409)) throw err;
        instruction = await client.instruction();
      }
    }
    console.log(`contribute: done: ${instruction.kind === "done" ? instruction.reason : ""}`);
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
    if (roundKey) destroyKey(roundKey.key);
    await pool.close();
    await closeCurve();
  }
}

async function contributeOne(
  client: CeremonyClient,
  pool: WorkerPool,
  curve: Curve,
  info: CeremonyInfo,
  instruction: Extract<ClientInstruction, { kind: "contribute" }>,
  key: KeyPair,
): Promise<{ hash: string; instruction: ClientInstruction }> {
  const { chunk, round, position } = instruction;
  const label = `round ${round}, chunk ${chunk + 1}/${info.numChunks}`;
  let t = performance.now();
  const { parentHash } = await client.parent(chunk);
  const parent = await client.artifact(parentHash);
  if (toHex(chunkHash(parent)) !== parentHash) throw new CliError(`contribute: the coordinator sent chunk ${chunk} with the wrong hash`);
  const ms = () => {
    const d = performance.now() - t;
    t = performance.now();
    return `${Math.round(d)} ms`;
  };
  const downloaded = ms();
  const params = { ceremonyId: info.ceremonyId, power: info.power, chunkSize: info.chunkSize };
  const bytes = await contributeChunk(pool, curve, parent, { params, chunkIndex: chunk, round, contributor: position }, key);
  const computed = ms();
  const result = await client.upload(chunk, bytes);
  console.log(`contribute: ${label}: downloaded ${downloaded}, computed ${computed}, uploaded ${ms()} (${result.hash.slice(0, 16)}…)`);
  return result;
}

/** `ceremony verify-worker`: an external verifier that pulls tasks from the coordinator, verifies, reports verdicts. */
import { readKeyFile } from "../auth/keys.ts";
import { ClientError } from "../client/errors.ts";
import { DEFAULT_RETRY } from "../client/transport.ts";
import { closeCurve, getCurve } from "../crypto/curve.ts";
import { initPairing } from "../crypto/pairing.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { runVerificationTask } from "../facts/verification.ts";
import { sleep } from "../lib/retry.ts";
import { parseFlags, requireString } from "./args.ts";
import { connect, CONNECT_FLAGS, CONNECT_HELP, CONNECT_USAGE } from "./connect.ts";

export const usage = `ceremony verify-worker ${CONNECT_USAGE} --key FILE [--once]
  Registers as a verifier, then verifies uploaded contributions as they arrive (--once: until none is left).
${CONNECT_HELP}`;

export async function verifyWorker(argv: string[]): Promise<void> {
  const { values } = parseFlags("verify-worker", argv, { ...CONNECT_FLAGS, key: { type: "string" }, once: { type: "boolean" } });
  // Once connected, a verifier rides out coordinator restarts like a contributor.
  const { client, info } = await connect("verify-worker", values, await readKeyFile(requireString("verify-worker", values.key, "--key")), DEFAULT_RETRY);
  await client.checkInAsVerifier();
  await initPairing();
  const curve = await getCurve();
  const pool = new WorkerPool();
  const params = { ceremonyId: info.ceremonyId, power: info.power, chunkSize: info.chunkSize };
  const source = { get: (hash: string) => client.artifact(hash) };
  try {
    for (;;) {
      const task = await client.nextTask();
      if (!task) {
        if (values.once) return;
        await sleep(500);
        continue;
      }
      // Whether the key was already used is the coordinator's rule; it applies it when it records the verdict.
      const verdict = await runVerificationTask(pool, curve, params, task, source);
      const recorded = await client.submitVerdict(task, verdict).then(
        () => true,
        (err: unknown) => {
          // Expected race: another verifier's verdict on the same contribution came first, or it moved on.
          if (!(err instanceof ClientError && err.code === "STALE_VERIFICATION")) throw err;
          return false;
        },
      );
      const outcome = `${verdict.ok ? "ok" : verdict.code}${recorded ? "" : " (not recorded: no longer awaiting verification)"}`;
      console.log(`verify-worker: round ${task.round}, chunk ${task.chunk + 1}, contributor ${task.position + 1}: ${outcome}`);
    }
  } finally {
    await pool.close();
    await closeCurve();
  }
}

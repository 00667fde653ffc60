/** `ceremony verify-worker`: an external verifier that pulls tasks from the coordinator, verifies, reports verdicts. */
import { readKeyFile } from "../auth/keys.ts";
import { ClientError } from "../client/errors.ts";
import { CeremonyClient } from "../client/http.ts";
import { closeCurve, getCurve } from "../crypto/curve.ts";
import { initMcl } from "../crypto/mcl.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { runVerificationTask } from "../facts/verification.ts";
import { sleep } from "../lib/retry.ts";
import { coordinatorUrl, parseFlags, requireString } from "./args.ts";

export const usage = `ceremony verify-worker --coordinator URL --key FILE [--once]
  Registers as a verifier, then verifies uploaded contributions as they arrive (--once: until none is left).`;

export async function verifyWorker(argv: string[]): Promise<void> {
  const { values } = parseFlags("verify-worker", argv, { coordinator: { type: "string" }, key: { type: "string" }, once: { type: "boolean" } });
  const client = new CeremonyClient(coordinatorUrl("verify-worker", values.coordinator), await readKeyFile(requireString("verify-worker", values.key, "--key")));
  const info = await client.ceremony();
  await client.checkInAsVerifier();
  await initMcl();
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
      await client.submitVerdict(task, verdict).catch((err: unknown) => {
        // Expected race: another verifier's verdict on the same contribution came first.
        if (!(err instanceof ClientError && err.code === "STALE_VERIFICATION")) throw err;
      });
      console.log(`verify-worker: round ${task.round}, chunk ${task.chunk}, position ${task.position}: ${verdict.ok ? "ok" : verdict.code}`);
    }
  } finally {
    await pool.close();
    await closeCurve();
  }
}

// A contributor that works on a chunk longer than the heartbeat timeout (a first computation that starts the
// worker pool, a loaded machine) checks in while it works, and is not dropped; without it, it would be.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { Contributor } from "../../src/client/contributor.ts";
import { InProcessParticipant } from "../../src/client/in-process.ts";
import { DEFAULT_FAULT_SETTINGS } from "../../src/core/model.ts";
import { contributeChunk } from "../../src/crypto/contribute.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { Coordinator } from "../../src/server/coordinator.ts";

const root = await mkdtemp(join(tmpdir(), "ceremony-keepalive-"));
const HEARTBEAT_TIMEOUT_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await closeCurve();
  await rm(root, { recursive: true, force: true });
});

async function slowFirstChunk(name: string, keepAliveMs: number | undefined): Promise<{ uploads: number; dropped: number }> {
  const ops = await LocalOps.create();
  const curve = await getCurve();
  const coord = await Coordinator.open({
    dataDir: join(root, name),
    settings: {
      power: 3,
      chunkSize: 4,
      contributorsPerRound: 1,
      lockLimit: 1,
      roundStartWaitMs: 0,
      ...DEFAULT_FAULT_SETTINGS,
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      admins: [generateKeyPair().publicKey],
      identity: "open",
      contributionsPerIdentity: 1,
    },
    tickMs: 3_600_000,
    verifiers: 1,
    coordinatorKey: generateKeyPair(),
    ops,
  });
  try {
    const me = generateKeyPair();
    let first = true;
    const contributor = new Contributor(new InProcessParticipant(coord.service, me.publicKey), {
      ops,
      curve,
      ...(keepAliveMs ? { keepAliveMs } : {}),
      // The first chunk takes 2.5 heartbeat timeouts; the coordinator's tick runs meanwhile.
      compute: async (parent, target, key) => {
        if (first) {
          first = false;
          for (let i = 0; i < 10; i++) {
            await sleep(HEARTBEAT_TIMEOUT_MS / 4);
            await coord.tick();
          }
        }
        return contributeChunk(ops, curve, parent, target, key);
      },
    });
    await contributor.join();
    await coord.tick();
    for (let i = 0; i < 6 && contributor.uploads.length === 0; i++) await contributor.step();
    contributor.close();
    return { uploads: contributor.uploads.length, dropped: coord.service.status().dropped };
  } finally {
    await coord.close();
  }
}

describe("keep-alive while working", () => {
  it("a contributor checking in while it computes is not dropped; one silent as long is", async () => {
    const alive = await slowFirstChunk("alive", HEARTBEAT_TIMEOUT_MS / 4);
    expect(alive).toEqual({ uploads: 1, dropped: 0 });
    const silent = await slowFirstChunk("silent", undefined);
    expect(silent).toEqual({ uploads: 0, dropped: 1 });
  }, 60_000);
});

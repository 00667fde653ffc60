// A coordinator that restarts forgets the mirror statements it has not certified yet. A mirror whose signed head no
// certificate covers signs it again, so the head a ceremony stops at (no later head to sign instead) still gets
// certified: here m1 signs the last head alone (m2 is down; 2 of 2 needed), the coordinator restarts, m2 comes back
// and signs it; without m1's second statement the head would never be certified. The restart resumes from the
// snapshot its clean shutdown saved: the mirror epochs must come back with it, or the statements on a head from
// before it are judged under epoch 0, taken for false ones, and both honest mirrors recorded faulty.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { generateBlsKey, type BlsKeyPair } from "../../src/bls/bls.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { Mirror } from "../../src/mirror/mirror.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { until } from "../helpers/binary.ts";
import { serveOnLoopback, type NodeHttpServer } from "../helpers/node-http.ts";

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
  await closeCurve();
});

describe("a mirror signs again a head no certificate covers", () => {
  it("the last head is certified although the coordinator restarted between the two mirrors' statements", async () => {
    const root = await mkdtemp(join(tmpdir(), "ceremony-mirror-resend-"));
    const ops = await LocalOps.create();
    cleanup.push(async () => {
      await ops.close();
      await rm(root, { recursive: true, force: true });
    });
    const admin = generateKeyPair();
    const coordinatorKey = generateKeyPair();
    let coord: Coordinator | null = null;
    let api: NodeHttpServer | null = null;
    const open = async (): Promise<Coordinator> => {
      const c = await Coordinator.open({
        dataDir: join(root, "data"),
        settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 600_000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
        tickMs: 20,
        verifiers: 1,
        coordinatorKey,
        ops,
        transcript: { externalThresholdBytes: 1 << 30, publicUrl: () => api?.url ?? "", remotes: [], backupCron: "0 0 0 1 1 *", fsync: false },
        mirrors: { admitOnRegistration: true, threshold: 0 },
      });
      c.start();
      return c;
    };
    // One address across the restart; 503 while the coordinator is down.
    let handler: ((r: Request) => Response | Promise<Response>) | null = null;
    api = await serveOnLoopback((r) => (handler ? handler(r) : new Response("down", { status: 503 })));
    const up = (c: Coordinator): void => {
      coord = c;
      handler = createApp(c.service, { replay: new ReplayGuard(), transcriptRepo: join(root, "data", "transcript") }).fetch;
    };
    up(await open());
    cleanup.push(async () => {
      await api?.close();
      await coord?.close();
    });
    const current = (): Coordinator => {
      if (!coord) throw new Error("no coordinator");
      return coord;
    };
    const status = () => current().service.mirrorsStatus();

    const mirrors = new Map<string, { mirror: Mirror; server: NodeHttpServer; loop: Promise<void> }>();
    const start = async (name: string, key: BlsKeyPair): Promise<void> => {
      let url = "";
      const mirror = await Mirror.open({ coordinator: api?.url ?? "", dataDir: join(root, name), key, publicUrl: () => url, ops, pollMs: 200, log: () => undefined });
      const server = await serveOnLoopback(mirror.app.fetch);
      url = server.url;
      mirrors.set(name, { mirror, server, loop: mirror.run() });
    };
    const stop = async (name: string): Promise<void> => {
      const m = mirrors.get(name);
      if (!m) return;
      mirrors.delete(name);
      await m.mirror.close();
      await m.loop;
      await m.server.close();
    };
    cleanup.push(async () => {
      for (const name of [...mirrors.keys()]) await stop(name);
    });

    const [k1, k2] = [generateBlsKey(), generateBlsKey()];
    await start("m1", k1);
    await start("m2", k2);
    await until("two members", () => status().members.length === 2);
    expect(status().threshold).toBe(2);
    // Certified by both: the head is in their epoch (the one m2's registration started), which needs 2 signatures.
    await until("the head certified by both", () => status().certified?.signers.length === 2 && status().certified?.commit === status().head?.commit);
    const before = status().certified?.seq ?? 0;

    // m2 goes down; a new head (someone joins the queue); m1 alone signs it: one statement of the two needed.
    await stop("m2");
    const joiner = generateKeyPair();
    await current().execute({ type: "JoinQueue", now: Date.now(), participant: joiner.publicKey, role: "contributor" });
    await until("a new head", () => (status().head?.seq ?? 0) > before);
    const head = status().head;
    await until("m1's statement on it", () => status().members.some((m) => m.key === k1.publicKey && m.signedCommit === head?.commit));
    expect(status().certified?.commit).not.toBe(head?.commit);

    // The coordinator restarts: m1's statement is forgotten. The head stays the last one.
    handler = null;
    await current().close();
    up(await open());
    await until("the head published again", () => status().head !== null);
    expect(status().head?.commit).toBe(head?.commit);
    expect(status().members.find((m) => m.key === k1.publicKey)?.signedCommit ?? null).toBeNull();

    // m2 comes back and signs it; m1 signs it again: certified.
    await start("m2", k2);
    await until("the last head certified", () => status().certified?.commit === head?.commit, 60_000).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(status())}`);
    });
    expect(status().certified?.signers.sort()).toEqual([k1.publicKey, k2.publicKey].sort());
    // Judged under the epoch of the head's event although the restart resumed from a snapshot taken after it: no
    // honest statement was taken for a false one.
    expect(status().members.filter((m) => m.faulty)).toEqual([]);
    expect(status().refusals.counts).not.toHaveProperty("MIRROR_NOT_PUBLISHED");
  }, 300_000);
});

// Mirror admission by an admin (the production preset's way): a registration waits, an admin's signed request admits
// it (a new epoch), another retires it (another epoch); only admins may; the status lists who waits and who is in.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { blsSign, generateBlsKey, popProve } from "../../src/bls/bls.ts";
import { registrationBytes } from "../../src/certificates/statement.ts";
import { ClientError } from "../../src/client/errors.ts";
import { MirrorsClient } from "../../src/client/mirrors.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { serveOnLoopback, type NodeHttpServer } from "../helpers/node-http.ts";

let root: string;
let coord: Coordinator;
let api: NodeHttpServer;
const admin = generateKeyPair();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-mirror-admission-"));
  coord = await Coordinator.open({
    dataDir: join(root, "data"),
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 600_000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 1000,
    verifiers: 0,
    coordinatorKey: generateKeyPair(),
    ops: await LocalOps.create(),
    transcript: { externalThresholdBytes: 1 << 30, publicUrl: () => api?.url ?? "", remotes: [], backupCron: "0 0 0 1 1 *", fsync: false },
    mirrors: { admitOnRegistration: false, threshold: 2 },
  });
  api = await serveOnLoopback(createApp(coord.service, { replay: new ReplayGuard(), transcriptRepo: join(root, "data", "transcript") }).fetch);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await coord?.close();
  await closeCurve();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("mirror admission by an admin", () => {
  it("registration waits; admit and retire start epochs; the threshold setting is capped at n", async () => {
    const open = new MirrorsClient(api.url, null);
    const ceremonyId = (await open.ceremony()).ceremonyId;
    const keys = [generateBlsKey(), generateBlsKey(), generateBlsKey()];
    for (const [i, k] of keys.entries()) {
      const url = `http://127.0.0.1:${9000 + i}`;
      const events = await open.register({ mirror: k.publicKey, url, pop: popProve(k.secretKey), signature: blsSign(k.secretKey, registrationBytes({ ceremonyId, mirror: k.publicKey, url })) });
      expect(events.events.map((e) => e.type)).toEqual(["MirrorRegistered"]);
    }
    expect((await open.status()).waiting.sort()).toEqual(keys.map((k) => k.publicKey).sort());
    // A registration for another URL than the one signed is refused.
    const k = generateBlsKey();
    const wrongUrl = { mirror: k.publicKey, url: "http://elsewhere:1", pop: popProve(k.secretKey), signature: blsSign(k.secretKey, registrationBytes({ ceremonyId, mirror: k.publicKey, url: "http://127.0.0.1:9000" })) };
    await expect(open.register(wrongUrl)).rejects.toMatchObject({ code: "MIRROR_BAD_REGISTRATION" });
    const again = keys[0] ?? k;
    await expect(open.register({ mirror: again.publicKey, url: "http://127.0.0.1:9000", pop: popProve(again.secretKey), signature: "00".repeat(96) })).rejects.toMatchObject({ code: "ALREADY_REGISTERED" });

    const stranger = new MirrorsClient(api.url, generateKeyPair(), { giveUpAfterMs: 1000, backoffMs: 50, maxBackoffMs: 100 });
    await expect(stranger.admin("admit", keys[0]?.publicKey ?? "")).rejects.toBeInstanceOf(ClientError);
    const byAdmin = new MirrorsClient(api.url, admin);
    const first = await byAdmin.admin("admit", keys[0]?.publicKey ?? "");
    expect(first.events).toEqual([
      { type: "MirrorAdmitted", mirror: keys[0]?.publicKey, by: admin.publicKey },
      { type: "EpochStarted", epoch: 1, members: [keys[0]?.publicKey], threshold: 1 },
    ]);
    await byAdmin.admin("admit", keys[1]?.publicKey ?? "");
    const third = await byAdmin.admin("admit", keys[2]?.publicKey ?? "");
    expect(third.events.at(-1)).toEqual({ type: "EpochStarted", epoch: 3, members: keys.map((x) => x.publicKey), threshold: 2 });
    await expect(byAdmin.admin("admit", keys[2]?.publicKey ?? "")).rejects.toMatchObject({ code: "ALREADY_REGISTERED" });
    const retired = await byAdmin.admin("retire", keys[1]?.publicKey ?? "", "moving house");
    expect(retired.events.at(-1)).toEqual({ type: "EpochStarted", epoch: 4, members: [keys[0]?.publicKey, keys[2]?.publicKey], threshold: 2 });
    const s = await open.status();
    expect(s.epoch).toBe(4);
    expect(s.members.map((m) => m.key)).toEqual([keys[0]?.publicKey, keys[2]?.publicKey]);
    expect(s.waiting).toEqual([keys[1]?.publicKey]);
  });

  it("refuses a registration whose proof of possession is another key's", async () => {
    const open = new MirrorsClient(api.url, null);
    const ceremonyId = (await open.ceremony()).ceremonyId;
    const k = generateBlsKey();
    const url = "http://127.0.0.1:9100";
    await expect(open.register({ mirror: k.publicKey, url, pop: popProve(generateBlsKey().secretKey), signature: blsSign(k.secretKey, registrationBytes({ ceremonyId, mirror: k.publicKey, url })) })).rejects.toMatchObject({
      code: "MIRROR_BAD_REGISTRATION",
    });
  });
});

// Admins identified by Ethereum addresses, through the HTTP API in-process, with viem as the independent signer: an
// admin call that viem's signMessage signed over the canonical request is accepted; a wrong address, a signature over
// another request, a replay, a malleable twin, a stranger's address and an Ethereum signature on a participant route
// are each refused with a stable code. The operator's --admin takes addresses; admins add and remove them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createApp } from "../../src/api/app.ts";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { AUTH_HEADERS, bodyHash, canonicalMessage, signRequest } from "../../src/auth/sign.ts";
import { loadServeSettings, ConfigError } from "../../src/config/serve.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { parseEthKeyFile } from "../../src/identity/eth-key-file.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { highS } from "../identity/malleable.ts";

let dir: string;
let coord: Coordinator;
let app: ReturnType<typeof createApp>;
const ethAdmin = privateKeyToAccount(generatePrivateKey());
const stranger = privateKeyToAccount(generatePrivateKey());
const address = (a: PrivateKeyAccount): string => a.address.toLowerCase();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-eth-admin-"));
  const settings = await loadServeSettings({ flags: { admin: [ethAdmin.address] }, env: {} });
  coord = await Coordinator.open({
    dataDir: dir,
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 0, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: settings.admins },
    tickMs: 1000,
    verifiers: 1,
    coordinatorKey: generateKeyPair(),
    ops: await LocalOps.create(),
  });
  app = createApp(coord.service, { replay: new ReplayGuard() });
});
afterAll(async () => {
  await coord.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

const ceremony = (): string => coord.service.info().ceremonyId;

/** A request signed by viem: personal_sign over the canonical message; `signedFor` lets the signed path or body differ from the sent ones. */
async function viemSigned(account: PrivateKeyAccount, path: string, json: unknown, options: { claim?: string; signedFor?: { path?: string; json?: unknown } } = {}) {
  const body = JSON.stringify(json);
  const timestamp = Date.now();
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  const message = canonicalMessage({
    ceremony: ceremony(),
    method: "POST",
    path: options.signedFor?.path ?? path,
    bodyHash: bodyHash(options.signedFor?.json === undefined ? body : JSON.stringify(options.signedFor.json)),
    timestamp,
    nonce,
  });
  const signature = await account.signMessage({ message: { raw: message } });
  const headers = {
    "content-type": "application/json",
    [AUTH_HEADERS.key]: options.claim ?? address(account),
    [AUTH_HEADERS.timestamp]: String(timestamp),
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: signature,
  };
  return { path, init: { method: "POST", headers, body } };
}

async function send(r: { path: string; init: RequestInit }): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await app.request(r.path, r.init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const codeOf = (a: { json: Record<string, unknown> }): unknown => (a.json.error as { code?: string } | undefined)?.code;

describe("an Ethereum admin", () => {
  it("is configured by --admin with its EIP-55 address, kept as lowercase; a mistyped checksum is refused", async () => {
    expect(coord.state()).toMatchObject({ admins: [address(ethAdmin)] });
    // EIP-55's own example, and the same with one letter's case flipped: a typo the checksum catches.
    expect((await loadServeSettings({ flags: { admin: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"] }, env: {} })).admins).toEqual(["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"]);
    await expect(loadServeSettings({ flags: { admin: ["0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"] }, env: {} })).rejects.toBeInstanceOf(ConfigError);
    await expect(loadServeSettings({ flags: { admin: ["0x1234"] }, env: {} })).rejects.toThrow(/an Ethereum address/);
  });

  it("signs an admin call with viem's signMessage over the canonical request: accepted", async () => {
    const verifier = generateKeyPair().publicKey;
    const r = await send(await viemSigned(ethAdmin, "/v1/admin/verifiers/add", { participant: verifier }));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.events).toEqual([{ type: "VerifierAdded", participant: verifier, by: address(ethAdmin) }]);
  });

  it("is refused under another address (AUTH_BAD_SIGNATURE)", async () => {
    const r = await send(await viemSigned(ethAdmin, "/v1/admin/verifiers/add", { participant: generateKeyPair().publicKey }, { claim: address(stranger) }));
    expect([r.status, codeOf(r)]).toEqual([401, "AUTH_BAD_SIGNATURE"]);
  });

  it("is refused for a signature over another request: another path, another body (AUTH_BAD_SIGNATURE)", async () => {
    const key = generateKeyPair().publicKey;
    const otherPath = await send(await viemSigned(ethAdmin, "/v1/admin/verifiers/add", { participant: key }, { signedFor: { path: "/v1/admin/ban" } }));
    expect([otherPath.status, codeOf(otherPath)]).toEqual([401, "AUTH_BAD_SIGNATURE"]);
    const otherBody = await send(await viemSigned(ethAdmin, "/v1/admin/verifiers/add", { participant: key }, { signedFor: { json: { participant: generateKeyPair().publicKey } } }));
    expect([otherBody.status, codeOf(otherBody)]).toEqual([401, "AUTH_BAD_SIGNATURE"]);
  });

  it("is refused when replayed (AUTH_REPLAYED), and for the malleable twin of a signature", async () => {
    const request = await viemSigned(ethAdmin, "/v1/admin/invitations", { hashes: ["ab".repeat(32)] });
    expect((await send(request)).status).toBe(200);
    const again = await send(request);
    expect([again.status, codeOf(again)]).toEqual([401, "AUTH_REPLAYED"]);
    const fresh = await viemSigned(ethAdmin, "/v1/admin/invitations", { hashes: ["cd".repeat(32)] });
    const headers = fresh.init.headers as Record<string, string>;
    const twin = await send({ ...fresh, init: { ...fresh.init, headers: { ...headers, [AUTH_HEADERS.signature]: highS(headers[AUTH_HEADERS.signature] ?? "") } } });
    expect([twin.status, codeOf(twin)]).toEqual([401, "AUTH_BAD_SIGNATURE"]);
  });

  it("a stranger's address, validly signed, is refused AUTH_UNKNOWN_KEY; an Ethereum signature on a participant route AUTH_MALFORMED", async () => {
    const r = await send(await viemSigned(stranger, "/v1/admin/restart-round", { reason: "x" }));
    expect([r.status, codeOf(r)]).toEqual([403, "AUTH_UNKNOWN_KEY"]);
    expect(String((r.json.error as { message: string }).message)).toMatch(/not an admin/);
    const heartbeat = await send(await viemSigned(ethAdmin, "/v1/heartbeat", {}));
    expect([heartbeat.status, codeOf(heartbeat)]).toEqual([401, "AUTH_MALFORMED"]);
  });

  it("adds another Ethereum admin (any casing, stored lowercase), who signs with the CLI's own signer; then removes it", async () => {
    const second = parseEthKeyFile(generatePrivateKey(), "second.key");
    const add = await send(await viemSigned(ethAdmin, "/v1/admin/admins/add", { participant: second.address.toUpperCase().replace("0X", "0x") }));
    expect(add.status, JSON.stringify(add.json)).toBe(200);
    expect(add.json.events).toEqual([{ type: "AdminAdded", participant: second.address.toLowerCase(), by: address(ethAdmin) }]);
    // The CLI's signer (signRequest with an Ethereum key) is accepted too.
    const body = JSON.stringify({ participant: address(ethAdmin) });
    const headers = { "content-type": "application/json", ...signRequest(second, { ceremony: ceremony(), method: "POST", path: "/v1/admin/admins/remove", body }) };
    const removed = await app.request("/v1/admin/admins/remove", { method: "POST", headers, body });
    expect(removed.status, await removed.clone().text()).toBe(200);
    expect(coord.state()).toMatchObject({ admins: [second.address.toLowerCase()] });
    // The removed admin is a stranger now.
    const after = await send(await viemSigned(ethAdmin, "/v1/admin/restart-round", { reason: "x" }));
    expect(codeOf(after)).toBe("AUTH_UNKNOWN_KEY");
  });
});

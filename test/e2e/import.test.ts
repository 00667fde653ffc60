// A real snarkjs .ptau (powersoftau new + contribute) imported into `serve --import`, carried through a round of CLI
// contributors to a scheduled finalization (--finalize-at, whose missing beacon file is an alert until it appears),
// the final file verified by snarkjs with the imported contribution in it, the transcript verified from the
// coordinator's URL alone; then a public copy restored from that URL without the coordinator's key and served
// read-only (status, clone, receipts, the final file; writes refused READ_ONLY).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BEACON, cloneTranscript, contribute, finalPtauVerifies, status, verifyTranscript, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";
import { snarkjs } from "../helpers/snarkjs.ts";

let c: Ceremony;
let server: Running | null = null;
let mirror: Running | null = null;
const POWER = "4";

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-import-"));
  c = { bin: await installBinary(dir), dir, url: "" };
  const made = await snarkjs("powersoftau", "new", "bn128", POWER, join(dir, "pot0.ptau"));
  expect(made.ok, made.output).toBe(true);
  const contributed = await snarkjs("powersoftau", "contribute", join(dir, "pot0.ptau"), join(dir, "pot1.ptau"), "--name=imported from snarkjs", "-e=some entropy");
  expect(contributed.ok, contributed.output).toBe(true);
}, 180_000);

afterAll(async () => {
  await kill(server, "SIGTERM");
  await kill(mirror, "SIGTERM");
  await rm(c.dir, { recursive: true, force: true });
});

const alerts = async (): Promise<string[]> => ((await (await fetch(`${c.url}/v1/status`)).json()) as { alerts: string[] }).alerts;

describe("serve --import", () => {
  it("carries a snarkjs .ptau through a round to a scheduled finalization that snarkjs verifies", async () => {
    const beacon = join(c.dir, "beacon.txt");
    const args = (ptau: string): string[] => ["--preset", "test", "--power", POWER, "--chunk-size", "4", "--contributors-per-round", "2", "--import", join(c.dir, ptau), "--data", join(c.dir, "data")];
    const release = ["--release-url", "https://ceremony.example.org/download/"];
    const s = await startServe(c.bin, c.dir, [...args("pot1.ptau"), ...release, "--finalize-at", new Date().toISOString(), "--beacon-file", beacon]);
    server = s;
    c.url = s.url;
    expect(s.output()).toMatch(/from .*pot1\.ptau \(1 contribution\(s\), blake2b [0-9a-f]{16}…\)/);

    // The finalization time has passed, but there is no beacon yet: an alert, and the ceremony goes on.
    await until("the missing beacon alert", async () => (await alerts()).some((a) => /beacon file .*beacon\.txt is missing/.test(a)));
    const two = await Promise.all([1, 2].map((i) => contribute(c, "--no-prompt", "--poll-ms", "100").done));
    for (const r of two) expect(r.code, r.out + s.output()).toBe(0);
    await until("round 1 aggregated", async () => (await status(c)).lastRound === 1);
    expect((await status(c)).phase).toBe("waiting");
    expect(s.output()).toMatch(/alert: finalization was scheduled for .*, but the beacon file .* is missing/);

    await writeFile(beacon, `${BEACON} 3\n`);
    await until("finalized", async () => (await status(c)).phase === "finalized", 120_000);
    expect(await alerts()).toEqual([]);

    const v = await finalPtauVerifies(c);
    expect(v.ok, v.output).toBe(true);
    expect(v.output).toMatch(/Contribution #1: imported from snarkjs/);
    expect(v.output).toMatch(/Contribution #4:/); // the imported one, two contributors, the beacon

    // The transcript records the imported file's hash, and verifies from the coordinator's URL alone.
    const clone = cloneTranscript(c, "clone");
    const first = JSON.parse(await readFile(join(clone, "events", "000000", "000", "000000000001.json"), "utf8")) as { event: { imported?: { file: string } } };
    const fileHash = createHash("blake2b512").update(await readFile(join(c.dir, "pot1.ptau"))).digest("hex");
    expect(first.event.imported?.file).toBe(fileHash);
    expect(await readFile(join(clone, "README.md"), "utf8")).toMatch(/Download it for your platform .* from https:\/\/ceremony\.example\.org\/download\//);
    const vt = await verifyTranscript(c, c.url);
    expect(vt.code, vt.out).toBe(0);
    expect(vt.out).toMatch(/imported from a \.ptau .* with 1 contribution\(s\)/);

    // A restart with the same --import is fine; another file is refused in one line.
    await kill(server, "SIGTERM");
    const other = await runBinary(c.bin, c.dir, ["serve", ...args("pot0.ptau")]).done;
    expect(other.code).not.toBe(0);
    expect(other.out).toMatch(/ceremony: serve: --import .*pot0\.ptau is not the \.ptau this ceremony started from/);
    server = await startServe(c.bin, c.dir, args("pot1.ptau"));
    expect(server.output()).toMatch(/read-only: finalized/);
  }, 300_000);

  it("a finalized ceremony restored from its URL without the coordinator's key is served read-only", async () => {
    const url = (server as Running & { url: string }).url;
    await mkdir(join(c.dir, "public"));
    mirror = await startServe(c.bin, c.dir, ["--preset", "test", "--data", join(c.dir, "public"), "--restore-from", url]);
    const m: Ceremony = { ...c, url: (mirror as Running & { url: string }).url };
    expect(mirror.output()).toMatch(/serving it read-only/);
    expect((await status(m)).phase).toBe("finalized");

    const join_ = await fetch(`${m.url}/v1/queue/join`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(join_.status).toBe(409);
    expect(((await join_.json()) as { error: { code: string } }).error.code).toBe("READ_ONLY");

    const [file] = await readdir(join(c.dir, "clone", "receipts", "1"));
    const receipts = await fetch(`${m.url}/v1/receipts/${(file ?? "").replace(/\.json$/, "")}`);
    expect(receipts.status).toBe(200);
    expect(((await receipts.json()) as { receipts: unknown[] }).receipts.length).toBeGreaterThan(0);

    const original = new Uint8Array(await (await fetch(`${url}/v1/ceremony/final.ptau`)).arrayBuffer());
    const copy = new Uint8Array(await (await fetch(`${m.url}/v1/ceremony/final.ptau`)).arrayBuffer());
    expect(Buffer.from(copy).equals(Buffer.from(original))).toBe(true);
    const vt = await verifyTranscript(m, m.url);
    expect(vt.code, vt.out).toBe(0);
    cloneTranscript(m, "mirror-clone");
  }, 180_000);
});

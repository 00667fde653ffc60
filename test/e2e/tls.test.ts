// HTTPS end to end through the compiled binary, with a self-signed certificate made by openssl: serve --tls-cert
// --tls-key; contribute, status, admin finalize and verify-transcript (given only the coordinator's URL) against
// https:// trusting the certificate through NODE_EXTRA_CA_CERTS; the git CLI through GIT_SSL_CAINFO; and a client
// that does not trust it refused in one line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BEACON } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";
import { snarkjsVerifies } from "../helpers/snarkjs.ts";
import { httpsRequest, selfSigned, type SelfSigned } from "../helpers/tls.ts";

let dir: string;
let bin: string;
let tls: SelfSigned;
let server: (Running & { url: string }) | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-tls-"));
  bin = await installBinary(dir);
  tls = await selfSigned(dir);
  server = await startServe(bin, dir, ["--preset", "test", "--power", "4", "--chunk-size", "8", "--data", join(dir, "data"), "--tls-cert", tls.cert, "--tls-key", tls.key]);
}, 180_000);

afterAll(async () => {
  await kill(server, "SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

const trusting = (): Record<string, string> => ({ NODE_EXTRA_CA_CERTS: tls.cert });
const status = async (): Promise<{ phase: string; lastRound: number }> => JSON.parse((await httpsRequest(`${url()}/v1/status`, tls.pem)).body.toString()) as { phase: string; lastRound: number };
const url = (): string => server?.url ?? "";

describe("HTTPS", () => {
  it("serves https:// only", async () => {
    expect(url()).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await httpsRequest(`${url()}/v1/status`, tls.pem)).status).toBe(200);
    await expect(fetch(url().replace("https:", "http:") + "/v1/status")).rejects.toThrow();
  });

  it("a client that does not trust the certificate is refused in one line", async () => {
    const r = await runBinary(bin, dir, ["verify-transcript", url()], { NODE_EXTRA_CA_CERTS: undefined }).done;
    expect(r.code).toBe(1);
    const errors = r.out.split("\n").filter((l) => l.startsWith("ceremony:"));
    expect(errors, r.out).toHaveLength(1);
    expect(errors[0]).toMatch(/certificate/i);
  }, 60_000);

  it("contribute, status, admin finalize and verify-transcript work against https:// when the certificate is trusted", async () => {
    const c = await runBinary(bin, dir, ["contribute", "--coordinator", url(), "--poll-ms", "100"], trusting()).done;
    expect(c.code, c.out).toBe(0);
    await until("round 1 aggregated", async () => (await status()).lastRound === 1);
    const st = await runBinary(bin, dir, ["status", "--coordinator", url(), "--json"], trusting()).done;
    expect(st.code, st.out).toBe(0);
    const fin = await runBinary(bin, dir, ["admin", "finalize", "--yes", "--beacon", BEACON, "--iterations", "2", "--coordinator", url(), "--key", join(dir, "data", "admin.key")], trusting()).done;
    expect(fin.code, fin.out).toBe(0);
    await until("finalized", async () => (await status()).phase === "finalized");

    const final = await httpsRequest(`${url()}/v1/ceremony/final.ptau`, tls.pem);
    expect(final.status).toBe(200);
    await writeFile(join(dir, "final.ptau"), final.body);
    const snark = await snarkjsVerifies(join(dir, "final.ptau"));
    expect(snark.ok, snark.output).toBe(true);

    // The coordinator's URL alone: verify-transcript finds /transcript.git itself.
    const v = await runBinary(bin, dir, ["verify-transcript", url()], trusting()).done;
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/cloned https:\/\/127\.0\.0\.1:\d+\/transcript\.git/);
    expect(v.out).toMatch(/OK: .*1 rounds aggregated.*finalized/);

    // The git CLI trusts it through its own setting.
    const env = { PATH: process.env.PATH ?? "", HOME: dir, GIT_TERMINAL_PROMPT: "0", GIT_SSL_CAINFO: tls.cert };
    execFileSync("git", ["clone", "-q", `${url()}/transcript.git`, join(dir, "clone")], { env });
    execFileSync("git", ["-C", join(dir, "clone"), "fsck", "--full"], { env });
  }, 240_000);
});

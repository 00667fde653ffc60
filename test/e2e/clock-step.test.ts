// The coordinator's system clock stepped 3 h forward, then 3 h back, through the compiled binary (the soak's offset
// hook, CEREMONY_CLOCK_OFFSET_FILE): participants sign with their own, correct clocks, and their requests must
// still be accepted. The signature window and the rate limits read the steady clock (lib/clock.ts), not the
// system's; on the raw system clock every signed request would be refused AUTH_EXPIRED while the step lasts, and
// a contributor refused for longer than the heartbeat timeout would be dropped.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { signRequest } from "../../src/auth/sign.ts";
import { installBinary, kill, startServe, type Running } from "../helpers/binary.ts";

const HOUR = 3_600_000;
let dir: string;
let server: Running & { url: string };
let offsetFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-e2e-clock-"));
  const bin = await installBinary(dir);
  offsetFile = join(dir, "offset");
  await writeFile(offsetFile, "0\n");
  server = await startServe(bin, dir, ["--preset", "test", "--port", "0", "--data", join(dir, "data")], { CEREMONY_CLOCK_OFFSET_FILE: offsetFile });
}, 180_000);

afterAll(async () => {
  await kill(server, "SIGTERM");
  await rm(dir, { recursive: true, force: true });
}, 60_000);

async function join1(): Promise<Response> {
  const info = (await (await fetch(`${server.url}/v1/ceremony`)).json()) as { ceremonyId: string };
  const body = new TextEncoder().encode("{}");
  const headers = { "content-type": "application/json", ...signRequest(generateKeyPair(), { ceremony: info.ceremonyId, method: "POST", path: "/v1/queue/join", body }) };
  return fetch(`${server.url}/v1/queue/join`, { method: "POST", headers, body });
}

describe("a stepped system clock on the coordinator", () => {
  it("signed requests from participants with correct clocks are accepted while the coordinator's clock is 3 h ahead, then 3 h behind", async () => {
    expect((await join1()).status).toBe(200);
    for (const step of [3 * HOUR, -3 * HOUR]) {
      await writeFile(offsetFile, `${step}\n`);
      const res = await join1();
      expect(res.status, `${step > 0 ? "+" : "-"}3 h: ${await res.clone().text()}`).toBe(200);
    }
    await writeFile(offsetFile, "0\n");
    expect((await join1()).status).toBe(200);
  }, 60_000);
});

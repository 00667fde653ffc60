// A contributor process killed in the middle of its work: the coordinator drops it after the heartbeat timeout, a
// coordinator-owned replacement takes its position, and the round finishes; the transcript records all of it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";

let dir: string;
let bin: string;
let server: Running | null = null;
let url = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-participant-crash-"));
  bin = await installBinary(dir);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = await startServe(bin, dir, [
    "--preset", "test", "--data", join(dir, "data"), "--port", String(port),
    "--contributors-per-round", "2", "--heartbeat-timeout-ms", "3000", "--replacement-contributors", "1",
  ]);
}, 120_000);

afterAll(async () => {
  await kill(server);
  await rm(dir, { recursive: true, force: true });
});

it("drops a contributor killed mid-round and finishes the round with a replacement", async () => {
  const victim = runBinary(bin, dir, ["contribute", "--coordinator", url, "--entropy", "victim", "--poll-ms", "50"]);
  const survivor = runBinary(bin, dir, ["contribute", "--coordinator", url, "--entropy", "survivor", "--poll-ms", "50"]);
  await until("the victim's first upload", () => victim.output().includes("uploaded"));
  await kill(victim);
  const s = await survivor.done;
  expect(s.code, s.out).toBe(0);
  const status = (await (await fetch(`${url}/v1/status`)).json()) as { lastRound: number; drops: Record<string, number> };
  expect(status.lastRound).toBe(1);
  expect(Object.values(status.drops)).toEqual([1]);
  const log = server?.output() ?? "";
  expect(log).toMatch(/replacement [0-9a-f]{8}…: round 1, chunk \d+ contributed/);
  const vt = await runBinary(bin, dir, ["verify-transcript", `${url}/transcript.git`]).done;
  expect(vt.code, vt.out).toBe(0);
}, 300_000);

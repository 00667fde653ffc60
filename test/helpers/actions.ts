// Reusable actions for end-to-end tests through the compiled binary: each is one thing an operator, a participant
// or a member of the public does (contribute, verify, finalize, read the status, clone and check the transcript).
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBinary, type Running } from "./binary.ts";
import { snarkjsVerifies } from "./snarkjs.ts";

export const BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

export interface Ceremony {
  bin: string;
  /** The working folder the commands run in. */
  dir: string;
  url: string;
}

export interface StatusSummary {
  phase: string;
  lastRound: number;
  round: null | { number: number };
  /** Participants dropped at least once. */
  dropped: number;
  queue: { length: number; head: string[] };
}

/** `ceremony contribute` in the background; extra flags after the coordinator's. */
export function contribute(c: Ceremony, ...flags: string[]): Running {
  return runBinary(c.bin, c.dir, ["contribute", "--coordinator", c.url, ...flags]);
}

/** `ceremony admin finalize --yes` with `keyFile` (a script confirms with --yes); resolves with its exit. */
export function finalize(c: Ceremony, keyFile: string, beacon = BEACON): Promise<{ code: number | null; out: string }> {
  return runBinary(c.bin, c.dir, ["admin", "finalize", "--yes", "--beacon", beacon, "--coordinator", c.url, "--key", keyFile]).done;
}

/** The public status; retried while the coordinator restarts. */
export async function status(c: Ceremony): Promise<StatusSummary> {
  for (;;) {
    try {
      return (await (await fetch(`${c.url}/v1/status`)).json()) as StatusSummary;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function git(c: Ceremony, ...args: string[]): string {
  return execFileSync("git", args, { cwd: c.dir, env: { PATH: process.env.PATH ?? "", HOME: c.dir, GIT_TERMINAL_PROMPT: "0" }, encoding: "utf8" });
}

/** Clones the transcript with the git CLI into `name` and checks it with `git fsck --full`; returns its path. */
export function cloneTranscript(c: Ceremony, name: string): string {
  git(c, "clone", "-q", `${c.url}/transcript.git`, name);
  git(c, "-C", name, "fsck", "--full");
  return join(c.dir, name);
}

/** `ceremony verify-transcript` on a clone or URL. */
export function verifyTranscript(c: Ceremony, target: string): Promise<{ code: number | null; out: string }> {
  return runBinary(c.bin, c.dir, ["verify-transcript", target]).done;
}

/** Downloads the published .ptau and checks it with snarkjs; returns snarkjs's verdict. */
export async function finalPtauVerifies(c: Ceremony): Promise<{ ok: boolean; output: string; status: number }> {
  const res = await fetch(`${c.url}/v1/ceremony/final.ptau`);
  const file = join(c.dir, "final.ptau");
  await writeFile(file, new Uint8Array(await res.arrayBuffer()));
  return { ...(await snarkjsVerifies(file)), status: res.status };
}

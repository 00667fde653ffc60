// Runs the snarkjs CLI (the independent oracle) as a child process, so its worker threads never outlive a test.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const cli = fileURLToPath(new URL("../../node_modules/snarkjs/build/cli.cjs", import.meta.url));
const run = promisify(execFile);

export interface SnarkjsResult {
  ok: boolean;
  output: string;
}

export async function snarkjs(...args: string[]): Promise<SnarkjsResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.message}` };
  }
}

/** `snarkjs powersoftau verify` prints "Powers of Tau Ok!" only when every check passed. */
export async function snarkjsVerifies(ptau: string): Promise<SnarkjsResult> {
  const r = await snarkjs("powersoftau", "verify", ptau);
  return { ok: r.ok && r.output.includes("Powers of Tau Ok!"), output: r.output };
}

// What the git server's tests share: the git CLI with a clean HOME, and raw upload-pack requests.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** The git CLI with `home` as HOME and no prompts; rejects with stderr on failure. */
export async function runGit(home: string, args: string[], options: { cwd: string; env?: Record<string, string>; input?: Uint8Array }): Promise<GitResult> {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "tester",
    GIT_AUTHOR_EMAIL: "tester@localhost",
    GIT_COMMITTER_NAME: "tester",
    GIT_COMMITTER_EMAIL: "tester@localhost",
    LANG: "C",
    ...options.env,
  };
  try {
    const running = execFileAsync("git", args, { cwd: options.cwd, env, maxBuffer: 64 << 20, encoding: "utf8" });
    if (options.input !== undefined) running.child.stdin?.end(options.input);
    const { stdout, stderr } = await running;
    return { stdout, stderr };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`git ${args.join(" ")} failed: ${e.stderr ?? e.message}`);
  }
}

/** A pkt-line of text. */
export function pkt(line: string): string {
  return (line.length + 4).toString(16).padStart(4, "0") + line;
}

/** The body of a clone's upload-pack request: one want (with capabilities), done. */
export function cloneRequest(tip: string, capabilities = " side-band-64k"): string {
  return `${pkt(`want ${tip}${capabilities}\n`)}0000${pkt("done\n")}`;
}

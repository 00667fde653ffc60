/**
 * Extra entropy for a contribution, never from the command line (argv shows in `ps` and the shell's history): from a
 * file (`-` for standard input), or typed at a prompt on a terminal without being shown. It is mixed into the round's
 * secret with the system's randomness, which is always used; without either, the system's randomness alone is.
 */
import { readFile } from "node:fs/promises";
import { CliError } from "./errors.ts";

const MAX_BYTES = 1 << 20;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads a line from the terminal without echoing it; Ctrl-C stops the command. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (finish: () => void): void => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      finish();
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\u0003") return done(() => reject(new CliError("contribute: interrupted at the entropy prompt; nothing was sent", 130)));
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done(() => resolve(typed));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** The entropy to mix in: from `file`, else a prompt when both ends are a terminal (unless `prompt` is false), else none. */
export async function readEntropy(file: string | undefined, prompt: boolean): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = file === "-" ? await readStdin() : await readFile(file, "utf8");
    } catch (err) {
      throw new CliError(`contribute: cannot read --entropy-file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (text.length === 0) throw new CliError(`contribute: --entropy-file ${file} is empty`);
    if (Buffer.byteLength(text) > MAX_BYTES) throw new CliError(`contribute: --entropy-file ${file} is over 1 MiB`);
    return text;
  }
  if (!prompt || !process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const typed = await promptHidden("contribute: type some random text as extra entropy (not shown; Enter to skip): ");
  return typed.length > 0 ? typed : undefined;
}

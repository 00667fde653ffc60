#!/usr/bin/env bun
/** `ceremony <command>`: dispatches to one file per subcommand; the one place that turns errors into exit codes. */
import { CliError } from "./cli/errors.ts";
import { ClientError } from "./client/errors.ts";
import { didYouMean } from "./lib/suggest.ts";
import pkg from "../package.json" with { type: "json" };

/**
 * Each command's module is loaded only when it runs (or its help is asked for): a command pays for its own imports
 * (the server's, the curve libraries', the git client's), not for every other command's at every start.
 */
type Command = { run: (argv: string[]) => Promise<void>; usage: string };
const lazy =
  <M extends { usage: string }>(load: () => Promise<M>, run: (m: M) => Command["run"]) =>
  async (): Promise<Command> => {
    const m = await load();
    return { run: run(m), usage: m.usage };
  };
const commands: Record<string, () => Promise<Command>> = {
  serve: lazy(() => import("./cli/serve.ts"), (m) => m.serve),
  keygen: lazy(() => import("./cli/keygen.ts"), (m) => m.keygen),
  contribute: lazy(() => import("./cli/contribute.ts"), (m) => m.contribute),
  "verify-worker": lazy(() => import("./cli/verify-worker.ts"), (m) => m.verifyWorker),
  status: lazy(() => import("./cli/status.ts"), (m) => m.status),
  admin: lazy(() => import("./cli/admin.ts"), (m) => m.admin),
  simulate: lazy(() => import("./cli/simulate.ts"), (m) => m.simulate),
  "verify-transcript": lazy(() => import("./cli/verify-transcript.ts"), (m) => m.verifyTranscriptCommand),
  "verify-receipt": lazy(() => import("./cli/verify-receipt.ts"), (m) => m.verifyReceiptCommand),
  mirror: lazy(() => import("./cli/mirror.ts"), (m) => m.mirror),
};

async function help(): Promise<string> {
  const all = await Promise.all(Object.values(commands).map((load) => load()));
  return `usage: ceremony <command> [options]   (ceremony --version: the version)\n\ncommands:\n${all.map((c) => `  ${c.usage.split("\n")[0]}`).join("\n")}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(await help());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`ceremony ${pkg.version} (bun ${Bun.version}, ${process.platform}-${process.arch})`);
    return 0;
  }
  const load = commands[name];
  if (!load) throw new CliError(`unknown command "${name}"${didYouMean(name, Object.keys(commands))}; run \`ceremony --help\``);
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError) {
      console.error(`ceremony: ${err.message.split("\n")[0]}`);
      process.exit(err.exitCode);
    }
    const message = err instanceof Error ? err.message : String(err);
    // A refusal shows its stable code (ALREADY_CONTRIBUTED, NOT_A_VERIFIER…), so scripts and people can act on it.
    const code = err instanceof ClientError && err.code !== "HTTP_ERROR" ? `${err.code}: ` : "";
    console.error(`ceremony: ${code}${message.split("\n")[0]}`);
    process.exit(1);
  },
);

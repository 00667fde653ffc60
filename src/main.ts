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
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => {
    const m = await import("./cli/serve.ts");
    return { run: m.serve, usage: m.usage };
  },
  keygen: async () => {
    const m = await import("./cli/keygen.ts");
    return { run: m.keygen, usage: m.usage };
  },
  contribute: async () => {
    const m = await import("./cli/contribute.ts");
    return { run: m.contribute, usage: m.usage };
  },
  "verify-worker": async () => {
    const m = await import("./cli/verify-worker.ts");
    return { run: m.verifyWorker, usage: m.usage };
  },
  status: async () => {
    const m = await import("./cli/status.ts");
    return { run: m.status, usage: m.usage };
  },
  admin: async () => {
    const m = await import("./cli/admin.ts");
    return { run: m.admin, usage: m.usage };
  },
  simulate: async () => {
    const m = await import("./cli/simulate.ts");
    return { run: m.simulate, usage: m.usage };
  },
  "verify-transcript": async () => {
    const m = await import("./cli/verify-transcript.ts");
    return { run: m.verifyTranscriptCommand, usage: m.usage };
  },
  "verify-receipt": async () => {
    const m = await import("./cli/verify-receipt.ts");
    return { run: m.verifyReceiptCommand, usage: m.usage };
  },
  mirror: async () => {
    const m = await import("./cli/mirror.ts");
    return { run: m.mirror, usage: m.usage };
  },
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

#!/usr/bin/env bun
/** `ceremony <command>`: dispatches to one file per subcommand; the one place that turns errors into exit codes. */
import { admin, usage as adminUsage } from "./cli/admin.ts";
import { contribute, usage as contributeUsage } from "./cli/contribute.ts";
import { CliError } from "./cli/errors.ts";
import { ClientError } from "./client/errors.ts";
import { didYouMean } from "./lib/suggest.ts";
import pkg from "../package.json" with { type: "json" };
import { keygen, usage as keygenUsage } from "./cli/keygen.ts";
import { mirror, usage as mirrorUsage } from "./cli/mirror.ts";
import { serve, usage as serveUsage } from "./cli/serve.ts";
import { simulate, usage as simulateUsage } from "./cli/simulate.ts";
import { status, usage as statusUsage } from "./cli/status.ts";
import { verifyReceiptCommand, usage as verifyReceiptUsage } from "./cli/verify-receipt.ts";
import { verifyTranscriptCommand, usage as verifyTranscriptUsage } from "./cli/verify-transcript.ts";
import { verifyWorker, usage as verifyWorkerUsage } from "./cli/verify-worker.ts";

const commands: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  serve: { run: serve, usage: serveUsage },
  keygen: { run: keygen, usage: keygenUsage },
  contribute: { run: contribute, usage: contributeUsage },
  "verify-worker": { run: verifyWorker, usage: verifyWorkerUsage },
  status: { run: status, usage: statusUsage },
  admin: { run: admin, usage: adminUsage },
  simulate: { run: simulate, usage: simulateUsage },
  "verify-transcript": { run: verifyTranscriptCommand, usage: verifyTranscriptUsage },
  "verify-receipt": { run: verifyReceiptCommand, usage: verifyReceiptUsage },
  mirror: { run: mirror, usage: mirrorUsage },
};

function help(): string {
  return `usage: ceremony <command> [options]   (ceremony --version: the version)\n\ncommands:\n${Object.values(commands).map((c) => `  ${c.usage.split("\n")[0]}`).join("\n")}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`ceremony ${pkg.version} (bun ${Bun.version}, ${process.platform}-${process.arch})`);
    return 0;
  }
  const command = commands[name];
  if (!command) throw new CliError(`unknown command "${name}"${didYouMean(name, Object.keys(commands))}; run \`ceremony --help\``);
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

/**
 * The README of a new transcript: the format's description (transcript/README.md, embedded in the binary), then
 * where this ceremony's participants and the public get the `ceremony` binary that checks it.
 */
import { TRANSCRIPT_README } from "./readme.generated.ts";

export const RELEASE_TARGETS = ["linux-x64", "linux-arm64", "darwin-arm64", "windows-x64"] as const;

export function transcriptReadme(where: { releaseUrl: string; publicUrl: string }): string {
  const url = where.publicUrl.replace(/\/+$/, "");
  const download = where.releaseUrl
    ? `Download it for your platform (${RELEASE_TARGETS.join(", ")}) from ${where.releaseUrl}, with the \`SHA256SUMS\`\nfile published beside it, and check it before running it (\`sha256sum --check --ignore-missing SHA256SUMS\`).`
    : `Its operator did not name a download: ask at ${url}, or build it from the project's source (\`npm ci && npm run\nbuild\`; \`npm run build:release\` makes one file per platform, with \`SHA256SUMS\`).`;
  return `${TRANSCRIPT_README}
## Get the \`ceremony\` binary

\`verify-transcript\`, \`verify-receipt\` and \`contribute\` are commands of the \`ceremony\` binary: one file, nothing
to install. ${download}

This ceremony's coordinator: ${url} (\`git clone ${url}/transcript.git\`; \`ceremony verify-transcript ${url}\`
clones and checks it in one step).
`;
}

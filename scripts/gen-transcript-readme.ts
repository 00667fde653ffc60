// Regenerates src/transcript/readme.generated.ts from transcript/README.md (the README of every transcript
// repository), so that the compiled binary carries it; test/transcript/readme.test.ts keeps the two in sync.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const text = readFileSync(`${root}/transcript/README.md`, "utf8");
writeFileSync(
  `${root}/src/transcript/readme.generated.ts`,
  `// Generated from transcript/README.md by scripts/gen-transcript-readme.ts; do not edit.\nexport const TRANSCRIPT_README = ${JSON.stringify(text)};\n`,
);

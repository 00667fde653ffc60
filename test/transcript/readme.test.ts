// The README written into every transcript repository is transcript/README.md, verbatim, followed by where this
// ceremony's binary is downloaded (serve --release-url) and its coordinator's URL.
import { expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { TRANSCRIPT_README } from "../../src/transcript/readme.generated.ts";
import { transcriptReadme } from "../../src/transcript/readme.ts";

it("src/transcript/readme.generated.ts matches transcript/README.md (run scripts/gen-transcript-readme.ts)", () => {
  expect(TRANSCRIPT_README).toBe(readFileSync(new URL("../../transcript/README.md", import.meta.url), "utf8"));
});

it("a transcript's README names where to download the binary, or how to build it when no release URL is set", () => {
  const released = transcriptReadme({ releaseUrl: "https://ceremony.example.org/download/", publicUrl: "https://ceremony.example.org/" });
  expect(released.startsWith(TRANSCRIPT_README)).toBe(true);
  expect(released).toMatch(/## Get the `ceremony` binary/);
  expect(released).toMatch(/from https:\/\/ceremony\.example\.org\/download\/, with the `SHA256SUMS`/);
  expect(released).toMatch(/ceremony verify-transcript https:\/\/ceremony\.example\.org`/);
  const unreleased = transcriptReadme({ releaseUrl: "", publicUrl: "http://127.0.0.1:8090" });
  expect(unreleased).toMatch(/ask at http:\/\/127\.0\.0\.1:8090, or build it from the project's source/);
});

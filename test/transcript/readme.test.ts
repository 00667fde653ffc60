// The README written into every transcript repository is transcript/README.md, verbatim.
import { expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { TRANSCRIPT_README } from "../../src/transcript/readme.generated.ts";

it("src/transcript/readme.generated.ts matches transcript/README.md (run scripts/gen-transcript-readme.ts)", () => {
  expect(TRANSCRIPT_README).toBe(readFileSync(new URL("../../transcript/README.md", import.meta.url), "utf8"));
});

// Chromium for the browser tests (Debian's, at /usr/bin/chromium; .ci/run installs it), driven by playwright-core.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}

/** test-output/ at the repository root (ignored by git): screenshots and figures the tests keep. */
export async function outputDir(): Promise<string> {
  const dir = join(fileURLToPath(new URL("../..", import.meta.url)), "test-output");
  await mkdir(dir, { recursive: true });
  return dir;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

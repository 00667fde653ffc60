// Builds the Node bundle of the pool worker once before the tests (vitest runs on Node, which cannot load .ts workers).
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build:worker"], { stdio: "inherit" });
}

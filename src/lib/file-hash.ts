/** blake2b-512 (hex) of a whole file, streamed: how the transcript names a .ptau (imported or final). */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export async function fileHash(path: string): Promise<string> {
  const h = createHash("blake2b512");
  for await (const piece of createReadStream(path)) h.update(piece as Buffer);
  return h.digest("hex");
}

/** `ceremony keygen --out FILE`: a participant key (ed25519), written with mode 0600. */
import { generateKeyPair, writeKeyFile } from "../auth/keys.ts";
import { parseFlags, requireString } from "./args.ts";

export const usage = `ceremony keygen --out FILE
  Creates a participant key (ed25519) in FILE (mode 0600) and prints its public key.`;

export async function keygen(argv: string[]): Promise<void> {
  const { values } = parseFlags("keygen", argv, { out: { type: "string" } });
  const out = requireString("keygen", values.out, "--out");
  const key = generateKeyPair();
  await writeKeyFile(out, key);
  console.log(`wrote ${out}; public key ${key.publicKey}`);
}

/** `ceremony keygen --out FILE [--bls]`: a participant key (ed25519), or a mirror's BLS12-381 key, written with mode 0600. */
import { generateKeyPair, writeKeyFile } from "../auth/keys.ts";
import { createBlsKeyFile } from "../bls/key-file.ts";
import { parseFlags, requireString } from "./args.ts";

export const usage = `ceremony keygen --out FILE [--bls]
  Creates a participant key (ed25519) in FILE (mode 0600) and prints its public key; with --bls, a mirror's
  BLS12-381 key (48-byte public key; ceremony mirror --key FILE).`;

export async function keygen(argv: string[]): Promise<void> {
  const { values } = parseFlags("keygen", argv, { out: { type: "string" }, bls: { type: "boolean" } });
  const out = requireString("keygen", values.out, "--out");
  if (values.bls) {
    const key = await createBlsKeyFile(out);
    console.log(`wrote ${out}; BLS public key ${key.publicKey}`);
    return;
  }
  const key = generateKeyPair();
  await writeKeyFile(out, key);
  console.log(`wrote ${out}; public key ${key.publicKey}`);
}

/** A mirror's BLS key on its machine: `{"type":"ceremony-bls12-381","publicKey","secretKey"}`, mode 0600. */
import { readFile } from "node:fs/promises";
import * as v from "valibot";
import { createSecretFile, KeyFileError } from "../auth/keys.ts";
import { isErrnoCode } from "../store/durable.ts";
import { BLS_PUBLIC_KEY_HEX, blsPublicKeyOf, generateBlsKey, isValidBlsPublicKey, type BlsKeyPair } from "./bls.ts";

export const BLS_KEY_FILE_TYPE = "ceremony-bls12-381";
const SECRET_HEX = /^[0-9a-f]{64}$/;

// Custom messages: valibot's defaults would quote the received value, here possibly the secret key.
const BlsKeyFileSchema = v.strictObject(
  {
    type: v.literal(BLS_KEY_FILE_TYPE, `type must be "${BLS_KEY_FILE_TYPE}"`),
    publicKey: v.pipe(v.string("publicKey must be a string"), v.regex(BLS_PUBLIC_KEY_HEX, "publicKey must be 96 lowercase hex digits")),
    secretKey: v.pipe(v.string("secretKey must be a string"), v.regex(SECRET_HEX, "secretKey must be 64 lowercase hex digits")),
  },
  "a BLS key file is a JSON object with exactly the fields type, publicKey and secretKey",
);

export async function writeBlsKeyFile(path: string, key: BlsKeyPair): Promise<void> {
  await createSecretFile(path, `${JSON.stringify({ type: BLS_KEY_FILE_TYPE, publicKey: key.publicKey, secretKey: key.secretKey }, null, 2)}\n`);
}

export async function createBlsKeyFile(path: string): Promise<BlsKeyPair> {
  const key = generateBlsKey();
  await writeBlsKeyFile(path, key);
  return key;
}

export async function readBlsKeyFile(path: string): Promise<BlsKeyPair> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) throw new KeyFileError("KEY_FILE_MISSING", `${path}: no key file here (create one with keygen --bls)`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyFileError("KEY_FILE_NOT_JSON", `${path}: not valid JSON`);
  }
  const r = v.safeParse(BlsKeyFileSchema, json);
  if (!r.success) throw new KeyFileError(r.issues[0].type === "literal" ? "KEY_FILE_WRONG_TYPE" : "KEY_FILE_INVALID", `${path}: ${r.issues.map((i) => i.message).join("; ")}`);
  const { publicKey, secretKey } = r.output;
  let derived: string;
  try {
    derived = blsPublicKeyOf(secretKey);
  } catch {
    throw new KeyFileError("KEY_FILE_INVALID", `${path}: secretKey is not a BLS12-381 secret scalar`);
  }
  if (derived !== publicKey || !isValidBlsPublicKey(publicKey)) throw new KeyFileError("KEY_FILE_MISMATCH", `${path}: publicKey does not match secretKey`);
  return { publicKey, secretKey };
}

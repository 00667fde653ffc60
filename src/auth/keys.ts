/**
 * Participant identity: an ed25519 key pair whose public key (64 lowercase hex) is the participant id, and the
 * key file that holds it on the participant's machine.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { randomBytes } from "node:crypto";
import { link, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import * as v from "valibot";
import { fromHex, toHex } from "../crypto/hash.ts";
import { KEY_HEX } from "../lib/hex.ts";

export const KEY_FILE_TYPE = "ceremony-ed25519";

export interface ParticipantKey {
  /** 32-byte ed25519 public key, 64 lowercase hex digits: the participant id. */
  publicKey: string;
  /** 32-byte ed25519 seed (RFC 8032 private key), 64 lowercase hex digits. */
  secretKey: string;
}

export const KEY_FILE_ERROR_CODES = [
  "KEY_FILE_MISSING",
  "KEY_FILE_EXISTS",
  "KEY_FILE_NOT_JSON",
  "KEY_FILE_WRONG_TYPE",
  "KEY_FILE_MISMATCH",
  "KEY_FILE_INVALID",
] as const;
export type KeyFileErrorCode = (typeof KEY_FILE_ERROR_CODES)[number];

export class KeyFileError extends Error {
  constructor(
    readonly code: KeyFileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeyFileError";
  }
}

export function generateKeyPair(): ParticipantKey {
  const { secretKey, publicKey } = ed25519.keygen();
  return { publicKey: toHex(publicKey), secretKey: toHex(secretKey) };
}

/** The public key of a 64-hex seed. */
export function publicKeyOf(secretKey: string): string {
  return toHex(ed25519.getPublicKey(fromHex(secretKey)));
}


// Custom messages everywhere: valibot's defaults quote the received value, which here would be the secret key.
const Hex32 = (field: string) => v.pipe(v.string(`${field} must be a string`), v.regex(KEY_HEX, `${field} must be 64 lowercase hex digits`));

export const KeyFileSchema = v.pipe(
  v.strictObject(
    {
      type: v.literal(KEY_FILE_TYPE, `type must be "${KEY_FILE_TYPE}"`),
      publicKey: Hex32("publicKey"),
      secretKey: Hex32("secretKey"),
    },
    "a key file is a JSON object with exactly the fields type, publicKey and secretKey",
  ),
  // valibot still runs this check after a failed regex, so it passes malformed keys on to the regex's own issue.
  v.check((k) => !KEY_HEX.test(k.secretKey) || publicKeyOf(k.secretKey) === k.publicKey, "publicKey does not match secretKey"),
);

/** Validates a parsed key file; `source` names it in error messages. */
export function parseKeyFile(input: unknown, source: string): ParticipantKey {
  const result = v.safeParse(KeyFileSchema, input);
  if (result.success) return { publicKey: result.output.publicKey, secretKey: result.output.secretKey };
  const issue = result.issues[0];
  const code: KeyFileErrorCode =
    issue.type === "check" ? "KEY_FILE_MISMATCH" : issue.type === "literal" ? "KEY_FILE_WRONG_TYPE" : "KEY_FILE_INVALID";
  return fail(code, `${source}: ${result.issues.map((i) => i.message).join("; ")}`);
}

function fail(code: KeyFileErrorCode, message: string): never {
  throw new KeyFileError(code, message);
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Creates the key file with mode 0600, never replacing an existing one: the content is written and fsynced under
 * a temporary name, then hard-linked to `path`, which fails atomically if `path` exists.
 */
export async function writeKeyFile(path: string, key: ParticipantKey): Promise<void> {
  const fields = { type: KEY_FILE_TYPE, publicKey: key.publicKey, secretKey: key.secretKey };
  parseKeyFile(fields, path);
  await createSecretFile(path, `${JSON.stringify(fields, null, 2)}\n`);
}

/** Creates a file readable by its owner only (0600) holding `text`, never replacing one; as writeKeyFile explains. */
export async function createSecretFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(8).toString("hex")}.tmp`;
  const file = await open(temporary, "wx", 0o600);
  try {
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await link(temporary, path);
  } catch (error) {
    if (hasCode(error, "EEXIST")) fail("KEY_FILE_EXISTS", `${path}: a file already exists there; refusing to overwrite it`);
    throw error;
  } finally {
    await unlink(temporary);
  }
  await syncDirectory(dirname(path));
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

export async function readKeyFile(path: string): Promise<ParticipantKey> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) fail("KEY_FILE_MISSING", `${path}: no key file here (create one with keygen)`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be the secret key.
    fail("KEY_FILE_NOT_JSON", `${path}: not valid JSON`);
  }
  return parseKeyFile(json, path);
}

/** Reads the key at path, creating it (mode 0600) first when it is missing. */
export async function ensureKeyFile(path: string): Promise<{ key: ParticipantKey; created: boolean }> {
  try {
    return { key: await readKeyFile(path), created: false };
  } catch (err) {
    if (!(err instanceof KeyFileError && err.code === "KEY_FILE_MISSING")) throw err;
  }
  const key = generateKeyPair();
  await writeKeyFile(path, key);
  return { key, created: true };
}

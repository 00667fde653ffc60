/**
 * The Ethereum key file of `contribute --eth-key FILE`: either the private key alone in hex (0x optional, as
 * wallets export it), or JSON {"privateKey": hex, "address"?: EIP-55 address} where the address guards against
 * picking up the wrong file. Reading uses node:fs (Bun has it too); parsing is pure.
 */
import { readFile } from "node:fs/promises";
import * as v from "valibot";
import { PRIVATE_KEY_SYNTAX, addressOf, isChecksumAddress } from "./ethereum.ts";

export interface EthKey {
  /** 64 lowercase hex digits, without 0x. */
  privateKey: string;
  /** Its EIP-55 address. */
  address: string;
}

export const ETH_KEY_FILE_ERROR_CODES = ["ETH_KEY_FILE_MISSING", "ETH_KEY_FILE_INVALID", "ETH_KEY_FILE_MISMATCH"] as const;
export type EthKeyFileErrorCode = (typeof ETH_KEY_FILE_ERROR_CODES)[number];

export class EthKeyFileError extends Error {
  constructor(
    readonly code: EthKeyFileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "EthKeyFileError";
  }
}

// Custom messages everywhere: valibot's defaults quote the received value, which here would be the private key.
const EthKeyJson = v.strictObject(
  {
    privateKey: v.pipe(v.string("privateKey must be a string"), v.regex(PRIVATE_KEY_SYNTAX, "privateKey must be 64 hex digits, 0x optional")),
    address: v.optional(v.pipe(v.string("address must be a string"), v.check(isChecksumAddress, "address must be an EIP-55 address"))),
  },
  "a JSON key file is an object with the field privateKey and optionally address, nothing else",
);

/** The key in `text`; `source` names the file in error messages, which never quote its content. */
export function parseEthKeyFile(text: string, source: string): EthKey {
  const trimmed = text.trim();
  let privateKey: string;
  let address: string | undefined;
  if (trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new EthKeyFileError("ETH_KEY_FILE_INVALID", `${source}: not valid JSON`);
    }
    const parsed = v.safeParse(EthKeyJson, json);
    if (!parsed.success) throw new EthKeyFileError("ETH_KEY_FILE_INVALID", `${source}: ${parsed.issues.map((i) => i.message).join("; ")}`);
    ({ privateKey, address } = parsed.output);
  } else if (PRIVATE_KEY_SYNTAX.test(trimmed)) {
    privateKey = trimmed;
  } else {
    throw new EthKeyFileError("ETH_KEY_FILE_INVALID", `${source}: neither a hex private key (64 hex digits, 0x optional) nor a JSON key file`);
  }
  privateKey = privateKey.replace(/^0x/, "").toLowerCase();
  let derived: string;
  try {
    derived = addressOf(privateKey);
  } catch {
    throw new EthKeyFileError("ETH_KEY_FILE_INVALID", `${source}: the private key is not a valid secp256k1 key (zero or not below the curve order)`);
  }
  if (address !== undefined && address !== derived) throw new EthKeyFileError("ETH_KEY_FILE_MISMATCH", `${source}: the key's address is ${derived}, not ${address}`);
  return { privateKey, address: derived };
}

export async function readEthKeyFile(path: string): Promise<EthKey> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT") throw new EthKeyFileError("ETH_KEY_FILE_MISSING", `${path}: no such file`);
    throw error;
  }
  return parseEthKeyFile(text, path);
}

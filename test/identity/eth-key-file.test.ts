// The Ethereum key file of `contribute --eth-key`: plain hex or JSON, checked, and never quoted in errors.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EthKeyFileError, parseEthKeyFile, readEthKeyFile } from "../../src/identity/index.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "eth-key-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = generatePrivateKey();
const address = privateKeyToAccount(key).address;
const bare = key.slice(2);

describe("Ethereum key files", () => {
  it.each([
    ["hex with 0x and a newline", `${key}\n`],
    ["hex without 0x", bare],
    ["upper-case hex", `  0x${bare.toUpperCase()}  `],
    ["JSON with the key", JSON.stringify({ privateKey: key })],
    ["JSON with the key and its address", JSON.stringify({ privateKey: bare, address })],
  ])("reads %s", async (_, text) => {
    const path = join(dir, "key");
    await writeFile(path, text);
    expect(await readEthKeyFile(path)).toEqual({ privateKey: bare, address });
  });

  const code = (text: string) => {
    try {
      parseEthKeyFile(text, "key.txt");
      return "none";
    } catch (error) {
      expect(error).toBeInstanceOf(EthKeyFileError);
      // The message names the file and never quotes the secret.
      expect((error as Error).message).toMatch(/^key\.txt: /);
      expect((error as Error).message.toLowerCase()).not.toContain(bare.slice(0, 16));
      return (error as EthKeyFileError).code;
    }
  };

  it("refuses malformed keys and files, and a JSON address that is not the key's", () => {
    expect(code(JSON.stringify({ privateKey: key, address: privateKeyToAccount(generatePrivateKey()).address }))).toBe("ETH_KEY_FILE_MISMATCH");
    for (const text of [
      "",
      bare.slice(1),
      `${bare}00`,
      "0".repeat(64),
      "f".repeat(64),
      `{"privateKey": "${key}"`,
      JSON.stringify({ privateKey: key, extra: 1 }),
      JSON.stringify({ key }),
      JSON.stringify({ privateKey: key, address: address.toLowerCase() }),
      JSON.stringify([key]),
      `${key}\n${key}`,
    ]) {
      expect(code(text), text.slice(0, 20)).toBe("ETH_KEY_FILE_INVALID");
    }
  });

  it("says when the file is missing", async () => {
    await expect(readEthKeyFile(join(dir, "nothing-here"))).rejects.toMatchObject({ code: "ETH_KEY_FILE_MISSING" });
  });
});

import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { readJson, writeJsonAtomic } from "../../src/store/json-file.ts";
import { useTempDirs } from "./temp-dirs.ts";

const StateSchema = v.strictObject({ round: v.pipe(v.number(), v.integer()), names: v.array(v.string()) });

describe("json-file", () => {
  const tempDir = useTempDirs();

  it("writes atomically (creating folders, leaving no temp file) and reads back through the schema", async () => {
    const dir = await tempDir();
    const path = join(dir, "state", "ceremony.json");
    await writeJsonAtomic(path, { round: 1, names: ["alice"] });
    await writeJsonAtomic(path, { round: 2, names: ["alice", "bob"] });
    expect(await readJson(path, StateSchema)).toEqual({ round: 2, names: ["alice", "bob"] });
    expect(await readdir(join(dir, "state"))).toEqual(["ceremony.json"]);
    expect((await readFile(path, "utf8")).endsWith("}\n")).toBe(true);
  });

  it("names the path and the issues when the content does not fit the schema", async () => {
    const path = join(await tempDir(), "state.json");
    await writeJsonAtomic(path, { round: "one", names: [] });
    const error = await readJson(path, StateSchema).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "JsonFileInvalid", code: "JSON_INVALID", path });
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/round/);
  });

  it("names the path when the file is not JSON", async () => {
    const path = join(await tempDir(), "state.json");
    await writeFile(path, "{ round: 1");
    const error = await readJson(path, StateSchema).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "JSON_INVALID" });
    expect((error as Error).message).toContain(path);
  });

  it("lets a missing file's ENOENT through, and refuses to write what is not JSON", async () => {
    const dir = await tempDir();
    await expect(readJson(join(dir, "missing.json"), StateSchema)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(writeJsonAtomic(join(dir, "x.json"), undefined)).rejects.toThrow(TypeError);
    expect(await readdir(dir)).toEqual([]);
  });
});

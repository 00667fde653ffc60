/** Small JSON state files: written atomically (temp file, fsync, rename, fsync directory), read back through a valibot schema. */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as v from "valibot";
import { ensureDir, renameDurably, writeAll, writeTempFile } from "./durable.ts";
import { JsonFileInvalid } from "./errors.ts";

export { JsonFileInvalid } from "./errors.ts";

/** Replaces `path` with `value` as indented JSON; a crash leaves either the old file or the new one, never a mix. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value, null, 2);
  if (json === undefined) throw new TypeError(`${path}: the value to write is not JSON`);
  const bytes = Buffer.from(`${json}\n`, "utf8");
  await ensureDir(dirname(path));
  const tempPath = `${path}.${randomUUID()}.tmp`;
  await writeTempFile(tempPath, (handle) => writeAll(handle, bytes, 0));
  await renameDurably(tempPath, path);
}

/** Reads and validates `path`; JsonFileInvalid names the path and the schema's issues. A missing file propagates ENOENT. */
export async function readJson<TSchema extends v.GenericSchema>(
  path: string,
  schema: TSchema,
): Promise<v.InferOutput<TSchema>> {
  const text = await readFile(path, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new JsonFileInvalid(path, `not JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  const result = v.safeParse(schema, data);
  if (!result.success) throw new JsonFileInvalid(path, v.summarize(result.issues));
  return result.output;
}

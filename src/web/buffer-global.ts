/**
 * Node's Buffer as a global, for the shared modules that use it (hex encoding in crypto/hash.ts and crypto/mcl.ts):
 * imported first by every browser entry point, so it is in place before those modules run.
 */
import { Buffer } from "node:buffer";

(globalThis as { Buffer?: typeof Buffer }).Buffer ??= Buffer;

/**
 * The native builds of the C curve engine, one per platform, as files that Bun embeds in a compiled binary and
 * dlopens from there (scripts/build-msm-wasm.sh builds them from the same sources as the wasm). Bun only: nothing
 * imports this module under Node.
 */
import linuxX64 from "./native/linux-x64.so" with { type: "file" };

/** Path of the library for `${process.platform}-${process.arch}`. */
export const NATIVE_LIBRARIES: Readonly<Record<string, string>> = {
  "linux-x64": linuxX64,
};

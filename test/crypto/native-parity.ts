// Run by engine-parity.test.ts under Bun (`bun test/crypto/native-parity.ts`): the native build of the C engine,
// loaded through bun:ffi as the server and CLI load it, against ffjavascript and mcl. Prints one JSON line:
// { engine, failures } ("engine" is "unavailable: <why>" where no native build loads on this platform).
import { buildBn128 } from "ffjavascript";
import { initEngine, nativeEngineUnavailable } from "../../src/crypto/engine.ts";
import { initMcl } from "../../src/crypto/mcl.ts";
import { Parity } from "./parity.ts";

const curve = await buildBn128(true);
await initMcl();
let out: { engine: string; failures: string[] };
try {
  const engine = await initEngine("auto");
  out = engine.kind === "native" ? { engine: "native", failures: await new Parity(engine, curve).all() } : { engine: `unavailable: ${nativeEngineUnavailable() ?? "?"}`, failures: [] };
} finally {
  await curve.terminate();
}
console.log(JSON.stringify(out));

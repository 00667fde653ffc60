// Minimal declarations for the parts of snarkjs (a devDependency, used as the test oracle) this project uses.
declare module "snarkjs" {
  import type { Curve } from "ffjavascript";

  /** snarkjs accepts any object with these methods as a logger; every function below also works without one. */
  export interface Logger {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }

  export namespace powersOfTau {
    /** Writes a fresh accumulator (all generators) and returns the first challenge hash. */
    function newAccumulator(curve: Curve, power: number, fileName: string, logger?: Logger): Promise<Uint8Array>;
    /** Returns the response hash. `entropy` must be non-empty, or snarkjs prompts on stdin. */
    function contribute(
      oldPtauFilename: string,
      newPTauFilename: string,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<Uint8Array>;
    /** `beaconHashStr` is hex (1..255 bytes); `numIterationsExp` 10..63. Returns the response hash, or false on bad parameters. */
    function beacon(
      oldPtauFilename: string,
      newPTauFilename: string,
      name: string,
      beaconHashStr: string,
      numIterationsExp: number | string,
      logger?: Logger,
    ): Promise<Uint8Array | false>;
    function verify(tauFilename: string, logger?: Logger): Promise<boolean>;
    function preparePhase2(oldPtauFilename: string, newPTauFilename: string, logger?: Logger): Promise<void>;
  }
}

/** What every effect module may use of the coordinator: the state, commands, the clock, the curve and the chunk files. */
import type { Curve } from "ffjavascript";
import type { CeremonyEvent, CeremonyState, Command } from "../../core/model.ts";
import type { CeremonyParams } from "../../crypto/params.ts";
import type { ArtifactSource } from "../../facts/verification.ts";

export interface EffectPort {
  state(): CeremonyState;
  execute(command: Command): Promise<CeremonyEvent[]>;
  now(): number;
  params(): CeremonyParams;
  curve: Curve;
  artifacts: ArtifactSource;
  say(line: string): void;
}

/**
 * Coordinator-owned replacement contributors: each is the ordinary contributor loop (client/contributor.ts) on the
 * in-process participant interface, stepped whenever the state changes. The core puts one in a dropped
 * contributor's place; its key is a file in the data folder so it survives restarts.
 */
import type { Curve } from "ffjavascript";
import type { CeremonyService } from "../../api/service.ts";
import { Contributor } from "../../client/contributor.ts";
import { InProcessParticipant } from "../../client/in-process.ts";
import type { CurveOps } from "../../crypto/ops.ts";

export class ReplacementContributor {
  private readonly contributor: Contributor;

  constructor(
    service: CeremonyService,
    private readonly id: string,
    ops: CurveOps,
    curve: Curve,
    private readonly say: (line: string) => void,
  ) {
    this.contributor = new Contributor(new InProcessParticipant(service, id), { ops, curve });
  }

  /** One step; true when it locked or contributed (then it steps again at once). */
  async step(): Promise<boolean> {
    const did = await this.contributor.step();
    const last = this.contributor.uploads.at(-1);
    if (did === "contributed" && last) this.say(`replacement ${this.id.slice(0, 8)}…: round ${last.round}, chunk ${last.chunk + 1} contributed`);
    return did === "locked" || did === "contributed";
  }

  close(): void {
    this.contributor.close();
  }
}

/** The five sections of the accumulator and their groups (apart from params.ts, so that pool workers need no validator). */

/** The five sections of the accumulator, in .ptau order (section ids 2..6). */
export const SECTIONS = ["tauG1", "tauG2", "alphaTauG1", "betaTauG1", "betaG2"] as const;
export type SectionName = (typeof SECTIONS)[number];
export const SECTION_GROUP: Record<SectionName, "G1" | "G2"> = {
  tauG1: "G1",
  tauG2: "G2",
  alphaTauG1: "G1",
  betaTauG1: "G1",
  betaG2: "G2",
};

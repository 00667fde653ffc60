/**
 * The ceremony's state as JSON and back, for snapshots (a state saved with the log head it was folded from, so a
 * start-up replays only the tail). Pure. The persistent collections go out as parallel arrays of keys and values
 * (in order for the queue), so a lobby of a million costs two flat arrays; reading checks the shape with valibot.
 */
import { Map as ImmutableMap, OrderedMap, Set as ImmutableSet } from "immutable";
import * as v from "valibot";
import { beaconSchema, importedSchema, settingsSchema } from "./event-schema.ts";
import type { Base, CeremonyState } from "./model.ts";

const int = v.pipe(v.number(), v.integer(), v.minValue(0));
const str = v.string();
const strings = v.array(str);
/** Arrays of a million, checked in one loop each and not copied (the queue). */
const many = <T>(what: string, is: (x: unknown) => x is T) => v.custom<T[]>((x) => Array.isArray(x) && x.every(is), `an array of ${what}`);
const isString = (x: unknown): x is string => typeof x === "string";
const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
const manyStrings = many("strings", isString);
const pairs = <T>(values: v.GenericSchema<unknown, T[]>) =>
  v.pipe(
    v.object({ keys: manyStrings, values }),
    v.check((p) => p.keys.length === p.values.length, "keys and values differ in length"),
  );
const countPairs = pairs(many("counts", isCount));
const stringPairs = pairs(manyStrings);

const contribution = v.object({ contributor: str, hash: str, verified: v.boolean(), verifier: v.optional(str) });
const round = v.object({
  number: int,
  contributors: strings,
  startedAt: int,
  challenges: v.array(v.nullable(str)),
  chunks: v.array(v.object({ lock: v.nullable(v.object({ holder: str, since: int })), contributions: v.array(contribution) })),
  turnSince: v.array(int),
});
const summary = v.object({ number: int, contributors: strings, challenges: strings, chunk0: strings, aggregateChallenge: str });

const base = {
  settings: settingsSchema,
  admins: strings,
  front: countPairs,
  queue: countPairs,
  verifiers: strings,
  banned: manyStrings,
  lastRound: int,
  accumulator: strings,
  challenge: str,
  completedRounds: v.array(summary),
  replacements: strings,
  failures: v.record(str, int),
  drops: countPairs,
  acceptedKeys: manyStrings,
  identityOf: stringPairs,
  holders: stringPairs,
  contributions: countPairs,
  contributedIn: countPairs,
  invitations: manyStrings,
  queueStatus: v.picklist(["scheduled", "open", "closed"]),
  schedule: v.object({ opensAt: v.nullable(int), closesAt: v.nullable(int) }),
  imported: v.nullable(importedSchema),
  mirrors: v.object({
    registered: v.array(v.object({ key: str, url: str })),
    members: strings,
    epoch: v.object({ number: int, members: strings, threshold: int }),
    faulty: strings,
  }),
};

const StateJson = v.variant("phase", [
  v.object({ phase: v.literal("setup") }),
  v.object({ phase: v.literal("waiting"), ...base }),
  v.object({ phase: v.literal("running"), round, ...base }),
  v.object({ phase: v.literal("finalizing"), round: v.nullable(round), beacon: beaconSchema, ...base }),
  v.object({ phase: v.literal("finalized"), beacon: beaconSchema, finalHash: str, ...base }),
]);

interface Pairs<T> {
  keys: string[];
  values: T[];
}

function toPairs<T>(map: ImmutableMap<string, T> | OrderedMap<string, T>): Pairs<T> {
  const keys: string[] = [];
  const values: T[] = [];
  for (const [k, value] of map) {
    keys.push(k);
    values.push(value);
  }
  return { keys, values };
}

function fromPairs<T>(p: Pairs<T>, empty: ImmutableMap<string, T>): ImmutableMap<string, T> {
  return empty.withMutations((m) => {
    for (let i = 0; i < p.keys.length; i++) m.set(p.keys[i] as string, p.values[i] as T);
  });
}

/** The state as a JSON value. */
export function encodeState(state: CeremonyState): unknown {
  if (state.phase === "setup") return { phase: "setup" };
  const { front, queue, banned, drops, acceptedKeys, identityOf, holders, contributions, contributedIn, invitations, ...plain } = state;
  return {
    ...plain,
    front: toPairs(front),
    queue: toPairs(queue),
    banned: banned.toArray(),
    drops: toPairs(drops),
    acceptedKeys: acceptedKeys.toArray(),
    identityOf: toPairs(identityOf),
    holders: toPairs(holders),
    contributions: toPairs(contributions),
    contributedIn: toPairs(contributedIn),
    invitations: invitations.toArray(),
  };
}

/** The state a JSON value from encodeState stands for; throws (with valibot's summary) on anything else. */
export function decodeState(json: unknown): CeremonyState {
  const r = v.safeParse(StateJson, json);
  if (!r.success) throw new Error(`not a saved ceremony state: ${v.summarize(r.issues)}`);
  const s = r.output;
  if (s.phase === "setup") return { phase: "setup" };
  const { front, queue, banned, drops, acceptedKeys, identityOf, holders, contributions, contributedIn, invitations, ...plain } = s;
  const collections: Pick<Base, "front" | "queue" | "banned" | "drops" | "acceptedKeys" | "identityOf" | "holders" | "contributions" | "contributedIn" | "invitations"> = {
    front: fromPairs(front, OrderedMap<string, number>()) as OrderedMap<string, number>,
    queue: fromPairs(queue, OrderedMap<string, number>()) as OrderedMap<string, number>,
    banned: ImmutableSet(banned),
    drops: fromPairs(drops, ImmutableMap<string, number>()),
    acceptedKeys: ImmutableSet(acceptedKeys),
    identityOf: fromPairs(identityOf, ImmutableMap<string, string>()),
    holders: fromPairs(holders, ImmutableMap<string, string>()),
    contributions: fromPairs(contributions, ImmutableMap<string, number>()),
    contributedIn: fromPairs(contributedIn, ImmutableMap<string, number>()),
    invitations: ImmutableSet(invitations),
  };
  return { ...plain, ...collections };
}

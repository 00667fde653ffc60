// The raw tree comparison against a plain one (every entry of every tree in a map by name), on random trees made to
// share starts and ends: few ids, of NULs and spaces among other bytes, and names that repeat or end with
// what reads as a whole other entry ("x 100644 a" ends with the entry "100644 a").
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { changedEntries, type ChangedEntry } from "../../src/git-http/tree-diff.ts";

interface Entry {
  mode: "100644" | "40000" | "160000";
  name: string;
  oid: Uint8Array;
}

function rawTree(entries: readonly Entry[]): Uint8Array {
  const parts = entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`, "latin1"), Buffer.from(e.oid)]));
  return Buffer.concat(parts);
}

const typeOf = (mode: Entry["mode"]): ChangedEntry["type"] => (mode === "40000" ? "tree" : mode === "160000" ? "commit" : "blob");
const hex = (oid: Uint8Array): string => Buffer.from(oid).toString("hex");

function reference(tree: readonly Entry[], bases: readonly (readonly Entry[])[]): ChangedEntry[] {
  const maps = bases.map((base) => new Map(base.map((e) => [e.name, e])));
  const changed: ChangedEntry[] = [];
  for (const entry of tree) {
    const before = maps.map((m) => m.get(entry.name));
    if (before.some((b) => b !== undefined && hex(b.oid) === hex(entry.oid))) continue;
    const baseTrees = before.filter((b): b is Entry => b?.mode === "40000").map((b) => hex(b.oid));
    changed.push({ name: entry.name, type: typeOf(entry.mode), oid: hex(entry.oid), baseTrees });
  }
  return changed;
}

/** Few ids, so that trees share entries; made of bytes that also appear in modes, names and separators. */
const oid = fc.constantFrom(...[0x00, 0x20, 0x30].map((byte) => new Uint8Array(20).fill(byte)), Uint8Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0x20 : 0x00)));
const entry = fc.record({ mode: fc.constantFrom("100644" as const, "40000" as const, "160000" as const), name: fc.constantFrom("a", "b", "ab", "b a", "x 100644 a", "y 40000 ab", "000001.json", "000002.json", "x".repeat(300), "events"), oid });
/** Entries with unique names, in name order. */
const entries = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 8 }).map((list) => [...list].sort((x, y) => (x.name < y.name ? -1 : 1)));

describe("changedEntries", () => {
  it("agrees with a comparison of every entry by name", () => {
    fc.assert(
      fc.property(entries, fc.array(entries, { maxLength: 2 }), fc.array(fc.nat(), { maxLength: 8 }), (tree, others, keep) => {
        // Bases that mostly agree with the tree: each keeps some of the tree's entries as they are.
        const bases = others.map((other, i) => {
          const kept = tree.filter((_, j) => ((keep[j] ?? 0) >> i) % 2 === 0);
          const names = new Set(kept.map((e) => e.name));
          return [...kept, ...other.filter((e) => !names.has(e.name))].sort((x, y) => (x.name < y.name ? -1 : 1));
        });
        expect(changedEntries(rawTree(tree), bases.map(rawTree))).toEqual(reference(tree, bases));
      }),
      { numRuns: 2000 },
    );
  });

  it("does not take bytes that only read as an entry, at the end of a base's entry, for that entry", () => {
    const id = new Uint8Array(20).fill(7);
    const first: Entry = { mode: "100644", name: "0", oid: new Uint8Array(20) };
    // The base's last entry, "40000 x 100644 a\0<id>", ends with the bytes of the tree's "100644 a\0<id>".
    const tree: Entry[] = [first, { mode: "100644", name: "a", oid: id }];
    const base: Entry[] = [first, { mode: "40000", name: "x 100644 a", oid: id }];
    expect(changedEntries(rawTree(tree), [rawTree(base)])).toEqual(reference(tree, [base]));
    expect(reference(tree, [base])).toHaveLength(1);
  });

  it("finds one entry added near the end of a large tree, and its base subtree", () => {
    const file = (i: number): Entry => ({ mode: "100644", name: `${String(i).padStart(6, "0")}.json`, oid: new Uint8Array(20).fill(i % 256) });
    const base = Array.from({ length: 1000 }, (_, i) => file(i));
    const tree = [...base.slice(0, 998), file(5000), ...base.slice(998)];
    expect(changedEntries(rawTree(tree), [rawTree(base)])).toEqual([{ name: "005000.json", type: "blob", oid: hex(file(5000).oid), baseTrees: [] }]);
    const subtree = (fill: number): Entry => ({ mode: "40000", name: "events", oid: new Uint8Array(20).fill(fill) });
    expect(changedEntries(rawTree([subtree(2)]), [rawTree([subtree(1)])])).toEqual([{ name: "events", type: "tree", oid: hex(subtree(2).oid), baseTrees: [hex(subtree(1).oid)] }]);
  });
});

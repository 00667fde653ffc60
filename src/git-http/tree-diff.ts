/**
 * What a tree changed against its versions in the parent commits, read from the trees' raw bytes. A transcript tree
 * gains an entry or two per commit among up to a thousand, so the bytes both versions share at the start and at the
 * end are skipped whole, and only the entries in between are decoded: the cost of a commit is a pass over the bytes,
 * not a map of every entry.
 */
import { Buffer } from "node:buffer";
import { commonPrefix, commonSuffix } from "./bytes.ts";

export interface ChangedEntry {
  name: string;
  /** "tree", "blob", or "commit" for a submodule link (an object of another repository). */
  type: "tree" | "blob" | "commit";
  oid: string;
  /** The trees the bases hold under this name, when they differ: delta bases for a subtree. */
  baseTrees: string[];
}

/** A tree entry is "<mode> <name>\0<20-byte id>"; trees are sorted, names unique. */
interface Span {
  start: number;
  nul: number;
  end: number;
}

/** The entries of `tree` that no base holds under the same name with the same id. With no bases, every entry. */
export function changedEntries(tree: Uint8Array, bases: readonly Uint8Array[]): ChangedEntry[] {
  const raw = Buffer.from(tree.buffer, tree.byteOffset, tree.byteLength);
  const spans = spansOf(raw, 0);
  const unchanged = new Set<number>();
  const baseTrees = new Map<number, string[]>();
  for (const base of bases) compare(raw, spans, Buffer.from(base.buffer, base.byteOffset, base.byteLength), unchanged, baseTrees);
  const changed: ChangedEntry[] = [];
  spans.forEach((span, i) => {
    if (unchanged.has(i)) return;
    const entry = decode(raw, span);
    changed.push({ ...entry, baseTrees: baseTrees.get(i) ?? [] });
  });
  return changed;
}

/**
 * Marks the entries of `tree` that `base` holds unchanged, and notes base subtrees under the names of changed ones.
 * Entries wholly inside the shared start lie at the same offsets in both; those wholly inside the shared end are the
 * same when the base has an entry boundary at the matching offset; the rest are matched by name.
 */
function compare(tree: Buffer, spans: readonly Span[], base: Buffer, unchanged: Set<number>, baseTrees: Map<number, string[]>): void {
  const prefix = commonPrefix(tree, base);
  const suffix = commonSuffix(tree, base, Math.min(tree.length, base.length) - prefix);

  const firstOpen = spans.findIndex((span) => span.end > prefix);
  if (firstOpen < 0) {
    spans.forEach((_, i) => unchanged.add(i));
    return;
  }
  for (let i = 0; i < firstOpen; i++) unchanged.add(i);
  const baseSpans = spansOf(base, spans[firstOpen]?.start ?? 0);
  const baseStarts = new Set(baseSpans.map((span) => span.start));
  const shift = tree.length - base.length;
  const matched = new Set<number>();
  const open: number[] = [];
  for (let i = firstOpen; i < spans.length; i++) {
    const span = spans[i] as Span;
    if (span.start >= tree.length - suffix && baseStarts.has(span.start - shift)) {
      unchanged.add(i);
      matched.add(span.start - shift);
    } else open.push(i);
  }
  if (open.length === 0) return;
  const byName = new Map<string, { type: ChangedEntry["type"]; oid: string }>();
  for (const span of baseSpans) {
    if (matched.has(span.start)) continue;
    const { name, type, oid } = decode(base, span);
    byName.set(name, { type, oid });
  }
  for (const i of open) {
    const span = spans[i] as Span;
    const before = byName.get(tree.toString("latin1", tree.indexOf(0x20, span.start) + 1, span.nul));
    if (before === undefined) continue;
    if (before.oid === tree.toString("hex", span.nul + 1, span.end)) unchanged.add(i);
    else if (before.type === "tree") baseTrees.set(i, [...(baseTrees.get(i) ?? []), before.oid]);
  }
}

/** Where each entry lies, from `from` (an entry's start) to the end. */
function spansOf(raw: Buffer, from: number): Span[] {
  const spans: Span[] = [];
  for (let at = from; at < raw.length; ) {
    const nul = raw.indexOf(0, at);
    if (nul < 0 || nul + 21 > raw.length) throw new Error("malformed tree");
    spans.push({ start: at, nul, end: nul + 21 });
    at = nul + 21;
  }
  return spans;
}

function decode(raw: Buffer, span: Span): { name: string; type: ChangedEntry["type"]; oid: string } {
  const space = raw.indexOf(0x20, span.start);
  if (space < 0 || space > span.nul) throw new Error("malformed tree");
  const mode = raw.toString("latin1", span.start, space);
  return {
    name: raw.toString("latin1", space + 1, span.nul),
    type: mode === "40000" ? "tree" : mode === "160000" ? "commit" : "blob",
    oid: raw.toString("hex", span.nul + 1, span.end),
  };
}

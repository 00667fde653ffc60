/**
 * The status page: reads /v1/ceremony and /v1/status, then follows /v1/events (Server-Sent Events, resumed by the
 * browser after the last id) and reads the status again whenever something happens, so it updates without reload.
 */
import "../buffer-global.ts";
import * as v from "valibot";
import { CeremonyInfoSchema, LiveMessageSchema, ReceiptsSchema, StatusSchema, type CeremonyInfo, type Status } from "../../api/schemas.ts";
import type { Receipt } from "../../transcript/receipt.ts";
import { byId, h, short, text } from "../dom.ts";
import { describe, newMemory, receiptOf, remember, roundGrid } from "./grid.ts";

const memory = newMemory();
const receipts = new Map<string, Receipt[]>();
let info: CeremonyInfo | null = null;
let lastHead: string | null = null;

async function getJson<S extends v.GenericSchema>(path: string, schema: S): Promise<v.InferOutput<S>> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return v.parse(schema, await res.json());
}

function renderInfo(i: CeremonyInfo): void {
  text("ceremony-id", i.ceremonyId);
  text("power", `2^${i.power} (BN254)`);
  text("chunks", `${i.numChunks} of ${i.chunkSize} points`);
  text("per-round", String(i.contributorsPerRound));
  text("identity", i.identity);
}

function renderGrid(s: Status): void {
  const grid = roundGrid(s, memory);
  const table = byId<HTMLTableElement>("grid");
  if (!grid || !s.round) {
    table.hidden = true;
    table.replaceChildren();
    text("round-summary", s.phase === "finalized" ? "The ceremony is finalized." : "No round is running.");
    return;
  }
  text("round-summary", `Round ${grid.round}: ${s.round.percentDone}% of its contributions verified${s.round.complete ? " (complete)" : ""}.`);
  const head = h("tr", {}, h("th", { scope: "col" }, "Chunk"), ...grid.contributors.map((c, j) => h("th", { scope: "col", title: c }, `${j + 1}. ${short(c, 8)}`)));
  const rows = grid.rows.map((cells, k) =>
    h("tr", {}, h("th", { scope: "row" }, String(k + 1)), ...cells.map((state, j) => h("td", { class: `cell ${state}`, "data-state": state, "data-chunk": String(k), "data-position": String(j) }, state))),
  );
  table.replaceChildren(h("caption", {}, "Chunks (rows) × contributors in their order (columns)"), h("thead", {}, head), h("tbody", {}, ...rows));
  table.hidden = false;
}

function renderContributions(): void {
  const body = byId("contributions").querySelector("tbody");
  if (!body) return;
  const rows = [...memory.contributions].reverse().slice(0, 500).map((c) => {
    const r = c.contributor ? receiptOf(receipts.get(c.contributor), c) : undefined;
    const who = c.contributor ?? "?";
    return h(
      "tr",
      {},
      h("td", {}, String(c.round)),
      h("td", {}, String(c.chunk + 1)),
      h("td", {}, h("code", { title: who }, short(who))),
      h("td", {}, h("code", { title: c.hash }, short(c.hash, 16))),
      h("td", {}, r ? h("code", { title: r.commit }, short(r.commit, 12)) : "pending"),
      h("td", {}, c.contributor ? h("a", { href: `/v1/receipts/${c.contributor}` }, r ? "receipt" : "receipts") : "—"),
    );
  });
  body.replaceChildren(...rows);
}

function renderStatus(s: Status): void {
  text("phase", s.phase);
  text("queue", `${s.queue.length} waiting (${s.queue.status})`);
  text("rounds", String(s.lastRound));
  const final = byId("final");
  final.hidden = !s.finalHash;
  if (s.finalHash) text("final-hash", s.finalHash);
  const t = s.transcript;
  text("clone", t ? `git clone ${new URL(t.clone, location.origin).href}` : "no transcript");
  text("head", t?.head ?? "—");
  const backups = t?.backups ?? [];
  text(
    "backups",
    backups.length === 0
      ? "none configured"
      : backups.map((b) => `${b.url}: ${b.consecutiveFailures > 0 ? `failing (${b.lastError ?? "error"})` : b.lastSuccess ? `ok, last pushed ${b.lastSuccess}` : "not pushed yet"}`).join("; "),
  );
  renderMirrors(s.mirrors);
  renderGrid(s);
}

/** The latest certified head, and which of the epoch's mirrors lag. */
function renderMirrors(m: Status["mirrors"]): void {
  const c = m?.certified;
  text("certified", c ? `up to event ${c.seq} (commit ${short(c.commit)}), ${c.signers.length} signers, epoch ${c.epoch}` : "nothing certified yet");
  if (!m || m.members.length === 0) return text("mirrors", "none");
  const lagging = m.members.filter((x) => x.lagging || x.faulty).map((x) => `${short(x.key, 16)} ${x.faulty ? "faulty" : `${x.behind ?? "?"} behind`}`);
  text("mirrors", `epoch ${m.epoch}: ${m.members.length} member(s), certificates need ${m.threshold}; ${lagging.length ? `lagging: ${lagging.join(", ")}` : "none lagging"}`);
}

const RECEIPTS_EVERY_MS = 2_000;
let receiptsReadAt = 0;
let receiptsTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Reads the receipts of contributors whose contributions still lack one: when the transcript moved, or every few
 * seconds while some are missing (a receipt is signed after its commit, so it may come after the last event).
 */
async function refreshReceipts(s: Status): Promise<void> {
  const head = s.transcript?.head ?? null;
  const lacking = new Set(memory.contributions.filter((c) => c.contributor && !receiptOf(receipts.get(c.contributor), c)).map((c) => c.contributor as string));
  if (lacking.size === 0) return;
  if (head === lastHead && Date.now() - receiptsReadAt < RECEIPTS_EVERY_MS) {
    receiptsTimer ??= setTimeout(() => {
      receiptsTimer = null;
      refresh();
    }, RECEIPTS_EVERY_MS);
    return;
  }
  lastHead = head;
  receiptsReadAt = Date.now();
  for (const who of [...lacking].slice(0, 20)) receipts.set(who, (await getJson(`/v1/receipts/${who}`, ReceiptsSchema)).receipts);
  receiptsTimer ??= setTimeout(() => {
    receiptsTimer = null;
    refresh();
  }, RECEIPTS_EVERY_MS);
}

let reading: Promise<void> | null = null;
let again = false;
/** Reads the status (one read at a time; a request meanwhile makes one more read after it). */
function refresh(): void {
  if (reading) {
    again = true;
    return;
  }
  reading = (async () => {
    try {
      const s = await getJson("/v1/status", StatusSchema);
      if (!info && s.phase !== "setup") {
        info = await getJson("/v1/ceremony", CeremonyInfoSchema);
        renderInfo(info);
      }
      renderStatus(s);
      await refreshReceipts(s);
      renderContributions();
    } catch (err) {
      text("live", `status unavailable: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      reading = null;
      if (again) {
        again = false;
        setTimeout(refresh, 100);
      }
    }
  })();
}

function log(line: string): void {
  const list = byId("log");
  list.prepend(h("li", {}, `${new Date().toLocaleTimeString()} ${line}`));
  while (list.children.length > 50) list.lastElementChild?.remove();
}

function follow(): void {
  // since=1: the feed replays what it keeps (the contributions since the coordinator started), then goes live.
  const source = new EventSource("/v1/events?since=1");
  let replaying = true;
  source.onopen = () => text("live", "live");
  source.onerror = () => text("live", "reconnecting…");
  const onMessage = (e: MessageEvent<string>): void => {
    const parsed = v.safeParse(LiveMessageSchema, JSON.parse(e.data));
    if (!parsed.success) return;
    remember(memory, parsed.output);
    if (!replaying || parsed.output.kind !== "lobby") log(describe(parsed.output));
    refresh();
  };
  for (const kind of ["event", "lobby", "reset"]) source.addEventListener(kind, onMessage as EventListener);
  setTimeout(() => (replaying = false), 1_000);
}

refresh();
follow();

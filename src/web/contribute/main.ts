/**
 * The browser contributor's page: reads the ceremony (its identity mode decides the form), gathers entropy, and on
 * "Contribute" runs a BrowserSession, showing the stage, the queue's line, each chunk's state and, at the end, the
 * receipt with a download and how to verify it. While it holds a place, closing the tab asks first (beforeunload)
 * and then leaves cleanly (pagehide).
 */
import "../buffer-global.ts";
import * as v from "valibot";
import { CeremonyInfoSchema, type CeremonyInfo, type IdentityProof } from "../../api/schemas.ts";
import { generateKeyPair } from "../../auth/keys.ts";
import type { Receipt } from "../../transcript/receipt.ts";
import { byId, h, short, text } from "../dom.ts";
import { EntropyPool } from "./entropy.ts";
import { tokenProof, walletProof } from "./identity.ts";
import { BrowserSession, type ChunkState } from "./session.ts";

const entropy = new EntropyPool();
const stopListening = entropy.listen(document, (n) => text("pointer-count", String(n)));
let session: BrowserSession | null = null;

function chunkRows(info: CeremonyInfo): void {
  const body = byId("chunks").querySelector("tbody");
  body?.replaceChildren(
    ...Array.from({ length: info.numChunks }, (_, k) =>
      h("tr", { id: `chunk-${k}` }, h("th", { scope: "row" }, `${k + 1} of ${info.numChunks}`), h("td", { class: "waiting", "data-state": "waiting" }, "waiting"), h("td", {}, "—")),
    ),
  );
}

const uploaded = new Set<number>();
const view = {
  stage: (line: string) => text("state", line),
  queue: (line: string) => text("queue-line", line),
  chunk: (k: number, state: ChunkState, ms?: number) => {
    const row = document.getElementById(`chunk-${k}`);
    const [stateCell, msCell] = [row?.children[1], row?.children[2]];
    if (!stateCell || !msCell) return;
    // A verdict outranks the upload that preceded it.
    if (state === "uploaded" && ["verified", "rejected"].includes(stateCell.getAttribute("data-state") ?? "")) return;
    stateCell.textContent = state;
    stateCell.className = state === "computing" || state === "uploading" ? "locked" : state;
    stateCell.setAttribute("data-state", state);
    if (ms !== undefined) msCell.textContent = `${Math.round(ms)} ms`;
    if (state === "uploaded" || state === "verified") uploaded.add(k);
    const bar = byId<HTMLProgressElement>("bar");
    bar.value = uploaded.size / Number(bar.max || 1);
  },
};

function showReceipt(info: CeremonyInfo, receipts: Receipt[]): void {
  const json = `${JSON.stringify(receipts, null, 2)}\n`;
  byId("result").hidden = false;
  text("result-line", `Done: ${receipts.length} signed receipt(s) from the coordinator, one per chunk, each naming the transcript commit that holds your verified contribution (signature checked in this page against the coordinator's key ${short(info.coordinatorKey, 16)}).`);
  text("receipt-json", json);
  const link = byId<HTMLAnchorElement>("download");
  link.href = URL.createObjectURL(new Blob([json], { type: "application/json" }));
  text("verify-command", `ceremony verify-receipt receipt.json --transcript ${location.origin}/transcript.git`);
  text("state", "Contribution complete: your receipt is below. The secret is forgotten.");
  byId("leave").hidden = true;
  link.focus();
}

async function start(info: CeremonyInfo, e: SubmitEvent): Promise<void> {
  e.preventDefault();
  const button = byId<HTMLButtonElement>("contribute");
  text("join-error", "");
  const key = generateKeyPair();
  const s = new BrowserSession(location.origin, info, key, view);
  let proof: (() => Promise<IdentityProof>) | undefined;
  try {
    if (info.identity === "token") proof = tokenProof(byId<HTMLInputElement>("token").value);
    if (info.identity === "ethereum") proof = await walletProof(s.client, info);
  } catch (err) {
    text("join-error", err instanceof Error ? err.message : String(err));
    return;
  }
  button.disabled = true;
  const mixed = entropy.take(byId<HTMLTextAreaElement>("entropy").value);
  byId<HTMLTextAreaElement>("entropy").value = "";
  stopListening();
  session = s;
  byId("join-form").hidden = true;
  byId("progress").hidden = false;
  byId<HTMLProgressElement>("bar").max = info.numChunks;
  chunkRows(info);
  text("participant-key", key.publicKey);
  byId("state").focus();
  try {
    const receipts = await s.run(mixed, proof);
    showReceipt(info, receipts);
  } catch (err) {
    if (!s.holdsPlace && byId("leave").hidden) return;
    text("state", `Stopped: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    s.close();
  }
}

byId("leave").addEventListener("click", () => {
  const s = session;
  if (!s) return;
  byId<HTMLButtonElement>("leave").disabled = true;
  void s.leave().then(
    () => text("state", "You left: your place is given up, and the round goes on without you. Nothing of yours stays in the result."),
    (err: unknown) => text("state", `Could not tell the coordinator (${err instanceof Error ? err.message : String(err)}); it drops you when you fall silent.`),
  );
  byId("leave").hidden = true;
});

window.addEventListener("beforeunload", (e) => {
  if (!session?.holdsPlace) return;
  e.preventDefault();
  e.returnValue = "Leaving this page gives up your place in the ceremony.";
});
window.addEventListener("pagehide", () => session?.leaveOnClose());

async function load(): Promise<void> {
  const res = await fetch("/v1/ceremony");
  if (!res.ok) {
    text("ceremony-line", res.status === 503 ? "The coordinator is starting; reload in a moment." : `The ceremony is not open yet (${res.status}).`);
    return;
  }
  const info = v.parse(CeremonyInfoSchema, await res.json());
  text("ceremony-line", `Ceremony ${short(info.ceremonyId, 16)}: power ${info.power}, ${info.numChunks} chunks, ${info.contributorsPerRound} contributors per round; identity: ${info.identity}.`);
  byId("token-field").hidden = info.identity !== "token";
  byId("wallet-hint").hidden = info.identity !== "ethereum";
  const form = byId<HTMLFormElement>("join-form");
  form.hidden = false;
  form.addEventListener("submit", (e) => void start(info, e));
}

void load();

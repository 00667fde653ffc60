// The browser pages through the compiled binary, in a real Chromium: the status page following a round live (DOM
// assertions and a screenshot in test-output/), a browser contributor and two CLI contributors in one round, the
// browser's receipt checked by `ceremony verify-receipt`, the live feed the same over SSE and WebSocket and resumed
// after a disconnect, a tab closed while queued leaving its place, /docs, and the final .ptau accepted by snarkjs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { contribute, finalize, finalPtauVerifies, status, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";
import { launchChromium, median, outputDir } from "./browser.ts";

let c: Ceremony;
let server: Running | null = null;
let browser: Browser;
let out: string;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-web-"));
  c = { bin: await installBinary(dir), dir, url: "" };
  const s = await startServe(c.bin, dir, ["--preset", "dev", "--port", "0", "--data", join(dir, "data"), "--round-start-wait-ms", "30000"]);
  server = s;
  c.url = s.url;
  browser = await launchChromium();
  out = await outputDir();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await kill(server, "SIGTERM");
  await rm(c.dir, { recursive: true, force: true });
});

/** A page that fails the test on a script error, and records every request's origin. */
async function open(path: string): Promise<{ page: Page; errors: string[]; origins: Set<string> }> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const errors: string[] = [];
  const origins = new Set<string>();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (/^https?:/.test(r.url())) origins.add(new URL(r.url()).origin);
  });
  await page.goto(`${c.url}${path}`);
  return { page, errors, origins };
}

const cells = (page: Page): Promise<string[]> => page.locator("#grid td.cell").evaluateAll((tds) => tds.map((td) => td.getAttribute("data-state") ?? ""));

describe("browser pages, served by the binary", () => {
  it("a browser contributor and two CLI contributors in one round; the status page follows it live", async () => {
    const statusPage = await open("/");
    await until("the status page live", async () => (await statusPage.page.textContent("#live")) === "live", 30_000);
    expect(await statusPage.page.textContent("#phase")).toBe("waiting");
    const info = (await (await fetch(`${c.url}/v1/ceremony`)).json()) as { numChunks: number; ceremonyId: string };
    expect(await statusPage.page.textContent("#ceremony-id")).toBe(info.ceremonyId);
    expect(await statusPage.page.textContent("#clone")).toBe(`git clone ${c.url}/transcript.git`);

    const contrib = await open("/contribute");
    await contrib.page.getByRole("button", { name: "Contribute" }).click();
    await until("the browser's key shown", async () => ((await contrib.page.textContent("#participant-key")) ?? "").length === 64, 30_000);
    const browserKey = (await contrib.page.textContent("#participant-key")) ?? "";
    const cli = [contribute(c, "--no-prompt", "--receipt", join(c.dir, "cli-1.json")), contribute(c, "--no-prompt", "--receipt", join(c.dir, "cli-2.json"))];

    // The grid appears with three contributors, the browser among them, and moves without a reload.
    await until("the round on the status page", async () => (await cells(statusPage.page)).length === info.numChunks * 3, 60_000);
    const round = (await status(c)).round as { contributors: string[] } | null;
    expect(round?.contributors).toContain(browserKey);
    expect(await statusPage.page.textContent("#round-summary")).toMatch(/^Round 1:/);
    await statusPage.page.screenshot({ path: join(out, "status-page-round.png"), fullPage: true });
    const seen = new Set<string>();
    await until("every cell verified", async () => {
      const states = await cells(statusPage.page);
      for (const s of states) seen.add(s);
      return states.length > 0 && states.every((s) => s === "verified");
    }, 120_000).catch(async () => {
      // The round may be aggregated (and leave the grid) between two looks; the rounds count says so.
      expect(await statusPage.page.textContent("#rounds")).toBe("1");
    });
    expect([...seen].some((s) => s === "locked" || s === "uploaded" || s === "waiting")).toBe(true);

    // The browser ends with its receipt: shown, downloadable, and valid against the transcript.
    await contrib.page.locator("#result").waitFor({ state: "visible", timeout: 120_000 });
    expect(await contrib.page.textContent("#h-result")).toMatch(/receipt/i);
    const download = contrib.page.waitForEvent("download");
    await contrib.page.getByRole("link", { name: /Download the receipt/ }).click();
    const file = join(c.dir, "browser-receipt.json");
    await (await download).saveAs(file);
    const receipts = JSON.parse(await readFile(file, "utf8")) as Array<{ participant: string; chunk: number }>;
    expect(receipts.map((r) => r.chunk).sort((a, b) => a - b)).toEqual(Array.from({ length: info.numChunks }, (_, k) => k));
    expect(receipts.every((r) => r.participant === browserKey)).toBe(true);
    const checked = await runBinary(c.bin, c.dir, ["verify-receipt", file, "--transcript", `${c.url}/transcript.git`]).done;
    expect(checked.out).toMatch(/OK/);
    expect(checked.code).toBe(0);
    await contrib.page.screenshot({ path: join(out, "contribute-receipt.png"), fullPage: true });

    const ends = await Promise.all(cli.map((p) => p.done));
    for (const e of ends) expect(e.code, e.out).toBe(0);
    await until("round 1 aggregated", async () => (await status(c)).lastRound >= 1, 60_000);
    await until("the status page's rounds", async () => (await statusPage.page.textContent("#rounds")) === "1", 10_000);
    // Contributions listed with their transcript commits (from the receipts).
    await until("commits beside the contributions", async () => {
      const commits = await statusPage.page.locator("#contributions tbody td:nth-child(5) code").count();
      return commits >= 3 * info.numChunks;
    }, 30_000);
    await statusPage.page.screenshot({ path: join(out, "status-page-after-round.png"), fullPage: true });

    // The time per chunk, the browser beside the CLI at the same power (the browser's as its page shows it).
    const browserMs = (await contrib.page.locator("#chunks tbody td:nth-child(3)").allTextContents()).map((t) => Number.parseInt(t, 10)).filter(Number.isFinite);
    const cliMs = ends.flatMap((e) => [...e.out.matchAll(/computed (\d+) ms/g)].map((m) => Number(m[1])));
    expect(browserMs).toHaveLength(info.numChunks);
    const timing = { power: 8, chunkSize: 64, browserMedianMs: median(browserMs), cliMedianMs: median(cliMs), browserMs, cliMs };
    await writeFile(join(out, "chunk-timing.json"), `${JSON.stringify(timing, null, 2)}\n`);
    console.log(`time per chunk at power 8 (dev): browser median ${timing.browserMedianMs} ms, CLI median ${timing.cliMedianMs} ms`);
    for (const p of [statusPage, contrib]) {
      expect(p.errors).toEqual([]);
      expect([...p.origins]).toEqual([new URL(c.url).origin]);
    }
    await Promise.all([statusPage.page.close(), contrib.page.close()]);
  }, 400_000);

  it("the live feed: the same messages over SSE and WebSocket, and both resume after a disconnect", async () => {
    const { page, errors } = await open("/");
    // Each transport, from `since`, for a moment: the ids (and kinds) it delivers.
    const collect = (since: number): Promise<{ sse: string[]; ws: string[] }> =>
      page.evaluate(async (from) => {
        const sse: string[] = [];
        const ws: string[] = [];
        const origin = (globalThis as unknown as { location: { origin: string } }).location.origin;
        const source = new (globalThis as unknown as { EventSource: new (url: string) => EventTarget & { close(): void } }).EventSource(`${origin}/v1/events?since=${from}`);
        for (const kind of ["event", "lobby", "reset"]) source.addEventListener(kind, (e) => sse.push(`${(e as MessageEvent<string>).lastEventId}:${kind}`));
        const socket = new WebSocket(`${origin.replace(/^http/, "ws")}/v1/ws?since=${from}`);
        socket.onmessage = (e) => {
          const m = JSON.parse(String(e.data)) as { id: number; kind: string };
          ws.push(`${m.id}:${m.kind}`);
        };
        await new Promise((r) => setTimeout(r, 2_000));
        source.close();
        socket.close();
        return { sse, ws };
      }, since);
    const all = await collect(1);
    expect(all.sse.length).toBeGreaterThan(10);
    expect(all.ws).toEqual(all.sse);
    // A client that saw up to the middle reconnects from there: both give exactly what came after it.
    const mid = Number(all.sse[Math.floor(all.sse.length / 2)]?.split(":")[0]);
    const resumed = await collect(mid);
    const after = all.sse.filter((m) => Number(m.split(":")[0]) > mid);
    expect(resumed.sse).toEqual(after);
    expect(resumed.ws).toEqual(after);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("closing the tab while queued asks first, then leaves the queue", async () => {
    // A round starts when three are queued or the first has waited 30 s: alone, the browser stays queued.
    const { page } = await open("/contribute");
    page.on("dialog", (d) => void d.accept());
    // Whether leaving the page would ask (headless Chromium shows no prompt, so the handler's answer is read).
    const asks = (): Promise<boolean> => page.evaluate(() => !(globalThis as unknown as EventTarget).dispatchEvent(new Event("beforeunload", { cancelable: true })));
    expect(await asks()).toBe(false);
    await page.getByRole("button", { name: "Contribute" }).click();
    await until("queued", async () => /queue|round/i.test((await page.textContent("#state")) ?? ""), 30_000);
    const key = (await page.textContent("#participant-key")) ?? "";
    expect(key).toHaveLength(64);
    const queued = async (): Promise<boolean> => ((await (await fetch(`${c.url}/v1/queue?offset=0&limit=100`)).json()) as { participants: string[] }).participants.includes(key);
    await until("queued", queued, 30_000);
    expect(await queued()).toBe(true);
    expect(await asks()).toBe(true);
    expect(await page.textContent("#about-leaving")).toMatch(/Closing it while queued or in a round gives up\s+your place/);
    await page.close({ runBeforeUnload: true });
    // Well before the heartbeat timeout (30 s on the dev preset): the signed leave sent as the page went away.
    await until("out of the queue", async () => !(await queued()), 10_000);
    expect((await status(c)).queue.length).toBe(0);
  }, 90_000);

  it("/docs shows the API from /openapi.json, from the binary alone", async () => {
    const { page, errors, origins } = await open("/docs");
    const doc = (await (await fetch(`${c.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    await until("the operations rendered", async () => (await page.locator(".opblock").count()) === operations, 30_000);
    expect(await page.locator(".opblock-summary-path", { hasText: "/v1/queue/join" }).count()).toBe(1);
    expect(errors).toEqual([]);
    expect([...origins]).toEqual([new URL(c.url).origin]);
    await page.close();
  }, 60_000);

  it("finalized: the status page links the final .ptau and its hash; snarkjs accepts the file", async () => {
    const { page } = await open("/");
    const fin = await finalize(c, join(c.dir, "data", "admin.key"));
    expect(fin.code, fin.out).toBe(0);
    await until("finalized", async () => (await status(c)).phase === "finalized", 180_000);
    const finalHash = ((await (await fetch(`${c.url}/v1/status`)).json()) as { finalHash: string }).finalHash;
    await until("the final section", async () => (await page.textContent("#final-hash")) === finalHash, 20_000);
    expect(await page.textContent("#phase")).toBe("finalized");
    expect(await page.getAttribute("#final-link", "href")).toBe("/v1/ceremony/final.ptau");
    await page.screenshot({ path: join(out, "status-page-finalized.png"), fullPage: true });
    const verdict = await finalPtauVerifies(c);
    expect(verdict.status).toBe(200);
    expect(verdict.ok, verdict.output).toBe(true);
    await page.close();
  }, 300_000);
});

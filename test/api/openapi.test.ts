// The OpenAPI document: valid OpenAPI 3.1 by an independent validator, and exactly the routes the app serves.
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.ts";
import type { CeremonyService } from "../../src/api/service.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";

const operations = { readiness: () => ({ ready: true as const }), metrics: { contentType: "text/plain", render: async () => "", request: () => undefined } };
const app = createApp({ live: { subscribe: () => null, perSubscriber: 1 } } as unknown as CeremonyService, { replay: new ReplayGuard(), operations });
/** The operator's routes beside the API's. */
const OPERATIONS = ["/healthz", "/readyz", "/metrics"];

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as Record<string, unknown>;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });
  it("documents exactly the routes the app serves, each with its auth and error codes", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, Record<string, { description: string; responses: Record<string, { description: string }> }>> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && (r.path.startsWith("/v1/") || OPERATIONS.includes(r.path)))
        .map((r) => `${r.method} ${r.path.replace(/:([a-z]+)/gi, "{$1}")}`),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    const join = doc.paths["/v1/queue/join"]?.post;
    expect(join?.description).toMatch(/Signed by any participant key/);
    expect(Object.values(join?.responses ?? {}).map((r) => r.description).join(" ")).toMatch(/ALREADY_CONTRIBUTED/);
    expect(doc.paths["/v1/chunks/{k}/lock"]?.post?.responses["403"]?.description).toMatch(/AUTH_UNKNOWN_KEY/);
    expect(doc.paths["/readyz"]?.get?.responses["503"]?.description).toMatch(/UNREADY/);
    expect(doc.paths["/metrics"]?.get?.responses["401"]?.description).toMatch(/METRICS_UNAUTHORIZED/);
  });
});

// The deployment examples stay valid: deploy/config.example.json loads on the production preset, and the systemd
// unit and the Dockerfile name commands, paths and settings that exist.
import { expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadServeConfig, SERVE_OPTIONS } from "../../src/config/serve.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

it("deploy/config.example.json is a valid production configuration", async () => {
  const { settings, explicit } = await loadServeConfig({ flags: { preset: "production", config: `${root}/deploy/config.example.json` }, env: {} });
  expect(settings).toMatchObject({ preset: "production", publicUrl: "https://ceremony.example.org", trustProxy: true, power: 20, identity: "token" });
  expect(explicit.has("backupRemotes")).toBe(true);
});

it("the systemd unit and the Dockerfile use settings serve knows", async () => {
  const envs = new Set(Object.values(SERVE_OPTIONS).map((o) => o.env));
  for (const file of ["deploy/ceremony.service", "Dockerfile"]) {
    const text = await readFile(`${root}/${file}`, "utf8");
    for (const name of text.match(/CEREMONY_[A-Z_]+/g) ?? []) expect(envs, `${file}: ${name}`).toContain(name);
    expect(text).toMatch(/ceremony serve|"serve"/);
  }
  expect(await readFile(`${root}/Dockerfile`, "utf8")).toMatch(/HEALTHCHECK .*\/healthz/);
});

/**
 * The OpenAPI 3.1 document of the API, generated from the route table (routes.ts) and its valibot schemas, so it
 * says what the server validates and answers: every route with its auth and its error codes (statuses from the
 * one error table).
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { statusOf } from "./errors.ts";
import { ROUTES, type Auth, type RouteSpec } from "./routes.ts";

type Json = Record<string, unknown>;

function schema(s: v.GenericSchema): Json {
  const { $schema: _, ...rest } = toJsonSchema(s, { errorMode: "ignore" }) as Json;
  return rest;
}

const AUTH_ERRORS: Record<Auth, string[]> = {
  none: [],
  open: ["AUTH_MISSING", "AUTH_MALFORMED", "AUTH_STALE", "AUTH_BAD_SIGNATURE", "AUTH_REPLAYED", "AUTH_REPLAY_FULL", "AUTH_RATE_LIMITED", "RATE_LIMITED", "BODY_TOO_LARGE"],
  signed: [],
  admin: [],
  verifier: ["NOT_A_VERIFIER"],
  metrics: [],
};
AUTH_ERRORS.signed = [...AUTH_ERRORS.open, "AUTH_UNKNOWN_KEY"];
AUTH_ERRORS.admin = AUTH_ERRORS.signed;
AUTH_ERRORS.verifier = [...AUTH_ERRORS.signed, "NOT_A_VERIFIER"];

const AUTH_TEXT: Record<Auth, string> = {
  none: "Public.",
  open: "Signed by any participant key (a key the coordinator does not know yet may use this route).",
  signed: "Signed by a participant key the coordinator knows (queued, in a round, a verifier, an admin, or one that took part).",
  admin: "Signed by an admin: an ed25519 key, or an Ethereum address (EIP-191 personal_sign over the same message).",
  verifier: "Signed by a trusted verifier's key.",
  metrics: "Public, unless the operator set --metrics-token: then Authorization: Bearer <token>.",
};

/** The content of a raw (not JSON) answer. */
const RAW_ANSWERS: Record<Exclude<RouteSpec["answer"], v.GenericSchema>, Json | undefined> = {
  octets: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
  "event-stream": { "text/event-stream": { schema: { type: "string", description: "messages: id (the log sequence), event (event, lobby or reset), data (JSON)" } } },
  prometheus: { "text/plain": { schema: { type: "string", description: "the Prometheus text exposition format, version 0.0.4" } } },
  none: undefined,
};

function responses(route: RouteSpec): Json {
  const out: Json = {};
  const ok = typeof route.answer === "string" ? RAW_ANSWERS[route.answer] : { "application/json": { schema: schema(route.answer) } };
  out["200"] = { description: route.summary, ...(ok ? { content: ok } : {}) };
  if (route.path === "/v1/status") out["304"] = { description: "Not modified since the ETag sent in If-None-Match" };
  if (route.path === "/v1/verifications/next") out["204"] = { description: "Nothing to verify now" };
  const byStatus = new Map<number, string[]>();
  for (const code of new Set([...AUTH_ERRORS[route.auth], ...route.errors, "INTERNAL"])) {
    const status = code === "INTERNAL" ? 500 : (statusOf(code) ?? 400);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `Error codes: ${codes.join(", ")}`,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  }
  return out;
}

function operation(route: RouteSpec): Json {
  const pathParams = [...route.path.matchAll(/:([a-z]+)/gi)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const queryProps = route.query ? ((schema(route.query).properties ?? {}) as Record<string, Json>) : {};
  const queryParams = Object.entries(queryProps).map(([name, s]) => ({ name, in: "query", required: false, schema: s }));
  return {
    summary: route.summary,
    description: AUTH_TEXT[route.auth],
    operationId: `${route.method}${route.path.replace(/[/:.{}-]+(\w)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    ...(route.auth === "none" ? { security: [] } : route.auth === "metrics" ? { security: [{}, { metricsToken: [] }] } : {}),
    ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: schema(route.body) } } } } : {}),
    ...(route.path.endsWith("/contribution") ? { requestBody: { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } } } : {}),
    responses: responses(route),
  };
}

export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const path = route.path.replace(/:([a-z]+)/gi, "{$1}");
    paths[path] = { ...(paths[path] ?? {}), [route.method]: operation(route) };
  }
  const header = (name: string, description: string) => ({ type: "apiKey", in: "header", name, description });
  return {
    openapi: "3.1.0",
    info: { title: "ceremony coordinator", version, description: "A Powers of Tau trusted-setup ceremony coordinator. Errors are {\"error\":{\"code\",\"message\"}}." },
    servers: [{ url: "/" }],
    security: [{ key: [], timestamp: [], nonce: [], signature: [] }],
    paths,
    components: {
      securitySchemes: {
        metricsToken: { type: "http", scheme: "bearer", description: "The operator's --metrics-token (only when set)." },
        key: header("x-ceremony-key", "The participant's ed25519 public key, 64 hex; on admin routes also an admin's Ethereum address, 0x and 40 lowercase hex."),
        timestamp: header("x-ceremony-timestamp", "Milliseconds since the epoch, within the signature window."),
        nonce: header("x-ceremony-nonce", "16 to 64 random bytes, hex, never reused."),
        signature: header(
          "x-ceremony-signature",
          "ed25519 over the lines ceremony-request-v2, the ceremony id, METHOD, path with query, blake2b-512 of the body, timestamp, nonce (joined by \\n); for an Ethereum admin, its EIP-191 personal_sign over the same bytes (0x and 130 lowercase hex).",
        ),
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
        },
      },
    },
  };
}

// The fast path of decoding a log line answers exactly what the strict decoder (the definition) answers: on lines the
// log writes, on hand-made lines whose checksum is right but whose text is not canonical, and on random mutations
// of both. And it does answer (rather than leave to the strict decoder) for the lobby's lines.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { blake2b512Into } from "../../src/adapters/bun/blake2b.ts";
import { FastLineReader } from "../../src/store/event-line-fast.ts";
import { decodeLine, decodeLineStrict, encodeLine } from "../../src/store/event-line.ts";

const enc = new TextEncoder();
const T = "2024-05-06T07:08:09.010Z";

/** A small deterministic generator, so a failure can be rerun. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A line whose checksum is right for its own prefix, whatever the prefix says (canonical or not). */
function crafted(prefix: string, more = false): Uint8Array {
  const checksum = createHash("blake2b512").update(`${prefix}}`, "utf8").digest("hex");
  return enc.encode(`${prefix},"checksum":"${checksum}"${more ? ',"more":true' : ""}}`);
}

function agree(bytes: Uint8Array): boolean {
  const strict = decodeLineStrict(bytes);
  const decoded = decodeLine(bytes);
  expect(decoded.ok, new TextDecoder().decode(bytes)).toBe(strict.ok);
  if (decoded.ok && strict.ok) expect(decoded.line).toStrictEqual(strict.line);
  return strict.ok;
}

const fastAnswers = (bytes: Uint8Array): boolean => new FastLineReader(blake2b512Into()).read(Buffer.from(bytes), 0, bytes.length) !== undefined;

const VALUES: unknown[] = ["", "abc", "a b", "ü", "\u2028", 'q"uote', "back\\slash", "\n", "\u0000", 0, 1, -1, 42, 1.5, -0.25, 1e21, 2 ** 53, 123456789012345, 1234567890123456, true, false, null, [], [1], {}, { a: 1 }];
const KEYS = ["type", "participant", "at", "identity", "", "a", "1", "01", "__proto__", "ü", "x y", 'q"'];

function randomEvent(next: () => number): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  const n = Math.floor(next() * 5);
  for (let i = 0; i < n; i++) event[KEYS[Math.floor(next() * KEYS.length)] as string] = VALUES[Math.floor(next() * VALUES.length)];
  return event;
}

function mutate(bytes: Uint8Array, next: () => number): Uint8Array {
  const i = Math.floor(next() * bytes.length);
  const kind = Math.floor(next() * 4);
  const b = Math.floor(next() * 128);
  if (kind === 0) return Uint8Array.from(bytes, (x, j) => (j === i ? x ^ (1 << Math.floor(next() * 8)) : x));
  if (kind === 1) return Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + 1)]);
  if (kind === 2) return Uint8Array.from([...bytes.subarray(0, i), b, ...bytes.subarray(i)]);
  return Uint8Array.from(bytes, (x, j) => (j === i ? b : x));
}

describe("the fast path of decoding a log line", () => {
  it("reads the lobby's lines itself, and gives what the strict decoder gives", () => {
    const lines = [
      { type: "ParticipantQueued", participant: "ab".repeat(32), at: 1_700_000_000_000 },
      { type: "ParticipantQueued", participant: "cd".repeat(32), at: 0, identity: "github:octocat" },
      { type: "ParticipantLeftQueue", participant: "ef".repeat(32) },
      { type: "ChunkLocked", round: 3, chunk: 17, participant: "01".repeat(32), at: 5 },
      {},
    ];
    for (const [i, event] of lines.entries()) {
      for (const more of [false, true]) {
        const bytes = enc.encode(encodeLine({ seq: i + 1, time: T, event }, more).slice(0, -1));
        expect(fastAnswers(bytes)).toBe(true);
        expect(agree(bytes)).toBe(true);
      }
    }
  });

  it("refuses with the strict decoder what is not canonical though its checksum is right", () => {
    const body = (event: string, seq = "1", time = T) => `{"seq":${seq},"time":"${time}","event":${event}`;
    const bad = [
      body('{"a":1,"a":2}'), // a key twice
      body('{"a":1.0}'),
      body('{"a":01}'),
      body('{"a":-0}'),
      body('{"a":1e5}'),
      body('{"a":1E5}'),
      body('{"a":"\\u0041"}'),
      body('{"a":"\\/"}'),
      body('{ "a":1}'),
      body('{"a":1 }'),
      body('{"b":1,"1":2}'), // JSON.parse moves index keys first
      body('{"a":tru}'),
      body('{"a":nul}'),
      body('{"a":1234567890123456789}'), // prints back as 1234567890123456800
      body("{}", "01"),
      body("{}", "0"),
      body("{}", "-1"),
      body("{}", "1.0"),
      body("{}", "1", "2024-13-06T07:08:09.010Z"),
      body("{}", "1", "2024-05-06T07:08:09.010+00:00"),
      body("{}", "1", "2024-05-06 07:08:09.010Z"),
      body("{}", "1", "+002024-05-06T07:08:09.010Z"),
      `{"time":"${T}","seq":1,"event":{}`,
      `{"seq":1,"time":"${T}","event":{},"extra":1`,
      `{"seq":1,"time":"${T}","event":{},"more":true`,
      `{"seq":1,"time":"${T}","event":{},"more":false`,
    ];
    for (const prefix of bad) for (const more of [false, true]) expect(agree(crafted(prefix, more)), prefix).toBe(false);
    // Whatever the answer for these, it is the same.
    for (const prefix of [body("{}", "1", "2024-02-30T07:08:09.010Z"), body('{"a":"\u007f"}')]) for (const more of [false, true]) agree(crafted(prefix, more));
    // And the same shapes written canonically are accepted by both.
    for (const event of ['{"a":1}', '{"a":-1,"b":"x","c":true,"d":null}', '{"a1":0}', '{"":""}', '{"__proto__":1}']) expect(agree(crafted(body(event)))).toBe(true);
  });

  it("agrees with the strict decoder on 2,000 random lines and 20,000 of their mutations", () => {
    const next = rng(7);
    let accepted = 0;
    let fast = 0;
    for (let i = 0; i < 2000; i++) {
      const event = randomEvent(next);
      const bytes = enc.encode(encodeLine({ seq: 1 + Math.floor(next() * 10 ** (1 + Math.floor(next() * 12))), time: T, event }, next() < 0.3).slice(0, -1));
      if (agree(bytes)) accepted++;
      if (fastAnswers(bytes)) fast++;
      for (let m = 0; m < 10; m++) agree(mutate(bytes, next));
    }
    expect(accepted).toBe(2000);
    expect(fast).toBeGreaterThan(500); // the flat, plain events
  });

  it("leaves the caller's bytes as they were", () => {
    const bytes = enc.encode(encodeLine({ seq: 9, time: T, event: { type: "ParticipantLeftQueue", participant: "p" } }, false).slice(0, -1));
    const copy = bytes.slice();
    expect(decodeLine(bytes).ok).toBe(true);
    expect(bytes).toEqual(copy);
  });
});

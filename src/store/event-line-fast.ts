/**
 * The fast path of decoding an event-log line, for the lines a lobby writes by the million: it reads the bytes in
 * place (no UTF-8 decoding of the line, no JSON.parse, no re-encoding) and answers only when it is sure; anything
 * else is left to the strict decoder (event-line.ts), which stays the definition.
 *
 * Why that is the same check. A line the strict decoder accepts is `C[0..-1] + ',"checksum":"' + H + '"' +
 * [',"more":true'] + '}'` where C is the canonical JSON `JSON.stringify({seq, time, event})` of its own parse and H
 * the blake2b-512 hex of C. Here: the suffix is matched byte for byte, H is compared with the hash of the line's own
 * prefix bytes followed by `}` (so C is hashed exactly as written, and no byte of the line is outside the check),
 * and the prefix is accepted only when it is in canonical form by construction: `{"seq":N,"time":"T","event":O}`
 * with N digits without a leading zero, T a plain ISO timestamp, and O a flat object whose keys and string values
 * are printable ASCII without `"` or `\` (which JSON.stringify writes verbatim), whose numbers are integers written
 * the way JSON.stringify writes them, with no key twice, no key JSON.parse would reorder (array indexes) and no
 * `__proto__`. For such bytes the parse re-encodes to exactly the bytes (tested against the strict decoder on
 * random and mutated lines).
 */
import type { Blake2b512Into } from "../adapters/bun/blake2b.ts";

export interface FastLine {
  seq: number;
  time: string;
  event: Record<string, unknown>;
  more: boolean;
  /** Where the 128 hex digits of the checksum start. */
  checksumAt: number;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const CHECKSUM_KEY = ascii(',"checksum":"');
const MORE_TAIL = ascii('","more":true}');
const HEAD_SEQ = ascii('{"seq":');
const HEAD_TIME = ascii(',"time":"');
const HEAD_EVENT = ascii('","event":');
const HEX = ascii("0123456789abcdef");
const HEX_DIGITS = 128;
const TIME_LENGTH = 24;
/** Integers of at most 15 digits are safe, and print back as the same digits. */
const MAX_DIGITS = 15;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= ZERO && b <= NINE;

function matches(buf: Uint8Array, at: number, what: Uint8Array): boolean {
  if (at < 0 || at + what.length > buf.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

/** Reads lines of one buffer; keeps the last timestamp it parsed (a log's neighbouring lines mostly share one). */
export class FastLineReader {
  private readonly digest = new Uint8Array(64);
  private lastTime = "";
  private readonly lastTimeBytes = new Uint8Array(TIME_LENGTH);
  private readonly interned = new Interned();

  constructor(private readonly hash: Blake2b512Into) {}

  /** The line `buf[start, end)` (without its newline), or undefined when the strict decoder must decide. */
  read(buf: Buffer, start: number, end: number): FastLine | undefined {
    if (buf[end - 1] !== CLOSE_BRACE) return undefined;
    const more = matches(buf, end - MORE_TAIL.length, MORE_TAIL);
    const closeQuote = more ? end - MORE_TAIL.length : end - 2;
    if (!more && buf[closeQuote] !== QUOTE) return undefined;
    const checksumAt = closeQuote - HEX_DIGITS;
    const prefixEnd = checksumAt - CHECKSUM_KEY.length;
    if (prefixEnd <= start || !matches(buf, prefixEnd, CHECKSUM_KEY)) return undefined;
    if (!this.checksumMatches(buf, start, prefixEnd, checksumAt)) return undefined;

    if (!matches(buf, start, HEAD_SEQ)) return undefined;
    let p = start + HEAD_SEQ.length;
    const seqEnd = integerEnd(buf, p, prefixEnd);
    if (seqEnd < 0 || buf[p] === MINUS || buf[p] === ZERO) return undefined;
    const seq = integerAt(buf, p, seqEnd);
    p = seqEnd;
    if (!matches(buf, p, HEAD_TIME)) return undefined;
    p += HEAD_TIME.length;
    const time = this.timeAt(buf, p);
    if (time === undefined) return undefined;
    p += TIME_LENGTH;
    if (!matches(buf, p, HEAD_EVENT)) return undefined;
    const event = this.flatObject(buf, p + HEAD_EVENT.length, prefixEnd);
    if (event === undefined) return undefined;
    return { seq, time, event, more, checksumAt };
  }

  /**
   * Whether the 128 hex digits at `checksumAt` are the hash of `buf[start, prefixEnd)` followed by `}`: the `,` at
   * `prefixEnd` is swapped for `}` while the one range is hashed (one native call, no copy) and put back.
   */
  private checksumMatches(buf: Buffer, start: number, prefixEnd: number, checksumAt: number): boolean {
    buf[prefixEnd] = CLOSE_BRACE;
    try {
      this.hash([buf.subarray(start, prefixEnd + 1)], this.digest);
    } finally {
      buf[prefixEnd] = COMMA;
    }
    for (let i = 0; i < 64; i++) {
      const b = this.digest[i] as number;
      if (buf[checksumAt + 2 * i] !== HEX[b >> 4] || buf[checksumAt + 2 * i + 1] !== HEX[b & 15]) return false;
    }
    return true;
  }

  /** `YYYY-MM-DDTHH:MM:SS.mmmZ` that Date.parse accepts, followed by its closing quote; else undefined. */
  private timeAt(buf: Buffer, at: number): string | undefined {
    if (at + TIME_LENGTH > buf.length) return undefined;
    let same = this.lastTime !== "";
    for (let i = 0; i < TIME_LENGTH && same; i++) same = buf[at + i] === this.lastTimeBytes[i];
    if (same) return this.lastTime;
    for (let i = 0; i < TIME_LENGTH; i++) {
      const b = buf[at + i];
      const want = TIME_SHAPE[i];
      if (want === undefined ? !isDigit(b) : b !== want) return undefined;
    }
    const time = buf.toString("latin1", at, at + TIME_LENGTH);
    if (Number.isNaN(Date.parse(time))) return undefined;
    this.lastTime = time;
    this.lastTimeBytes.set(buf.subarray(at, at + TIME_LENGTH));
    return time;
  }

  /** The flat object spanning exactly `buf[p, end)` in canonical form, or undefined. */
  private flatObject(buf: Buffer, p: number, end: number): Record<string, unknown> | undefined {
    if (p >= end || buf[p] !== OPEN || buf[end - 1] !== CLOSE_BRACE) return undefined;
    const out: Record<string, unknown> = {};
    let q = p + 1;
    if (q === end - 1) return out;
    for (;;) {
      if (buf[q] !== QUOTE || isDigit(buf[q + 1])) return undefined; // array-index keys are reordered by JSON.parse
      const keyEnd = plainStringEnd(buf, q + 1, end);
      if (keyEnd < 0 || buf[keyEnd + 1] !== COLON) return undefined;
      const key = this.interned.get(buf, q + 1, keyEnd);
      if (key === "__proto__" || Object.hasOwn(out, key)) return undefined;
      q = keyEnd + 2;
      const b = buf[q];
      if (b === QUOTE) {
        const valueEnd = plainStringEnd(buf, q + 1, end);
        if (valueEnd < 0) return undefined;
        out[key] = key === "type" ? this.interned.get(buf, q + 1, valueEnd) : buf.toString("latin1", q + 1, valueEnd);
        q = valueEnd + 1;
      } else if (b === MINUS || isDigit(b)) {
        const numberEnd = integerEnd(buf, q, end);
        if (numberEnd < 0) return undefined;
        out[key] = integerAt(buf, q, numberEnd);
        q = numberEnd;
      } else {
        const literal = LITERALS.find(([bytes]) => matches(buf, q, bytes));
        if (literal === undefined) return undefined;
        out[key] = literal[1];
        q += literal[0].length;
      }
      if (buf[q] === COMMA) q++;
      else if (buf[q] === CLOSE_BRACE && q === end - 1) return out;
      else return undefined;
    }
  }
}

/** Each position of an ISO timestamp: the byte it must be, or undefined for a digit. */
const TIME_SHAPE: Array<number | undefined> = Array.from("dddd-dd-ddTdd:dd:dd.dddZ", (c) => (c === "d" ? undefined : c.charCodeAt(0)));

/** End of the canonical integer at `p` (`-`? then `0` or a non-zero digit and at most 14 more), or −1. */
function integerEnd(buf: Uint8Array, p: number, limit: number): number {
  let q = p;
  if (buf[q] === MINUS) {
    q++;
    if (buf[q] === ZERO) return -1; // -0 prints as 0
  }
  const first = q;
  if (buf[q] === ZERO) q++;
  else while (q < limit && isDigit(buf[q])) q++;
  if (q === first || q - first > MAX_DIGITS) return -1;
  return q;
}

/** End (the closing quote) of a string of printable ASCII other than `"` and `\` starting after the quote at `p`, or −1. */
function plainStringEnd(buf: Uint8Array, p: number, limit: number): number {
  for (let q = p; q < limit; q++) {
    const b = buf[q] as number;
    if (b === QUOTE) return q;
    if (b < 0x20 || b > 0x7e || b === BACKSLASH) return -1;
  }
  return -1;
}

const LITERALS: Array<[Uint8Array, boolean | null]> = [
  [ascii("true"), true],
  [ascii("false"), false],
  [ascii("null"), null],
];

/** The value of the canonical integer `buf[p, end)` (at most 15 digits, checked by integerEnd). */
function integerAt(buf: Uint8Array, p: number, end: number): number {
  const negative = buf[p] === MINUS;
  let n = 0;
  for (let q = negative ? p + 1 : p; q < end; q++) n = n * 10 + ((buf[q] as number) - ZERO);
  return negative ? -n : n;
}

/** Strings that recur (keys, event types), made once: `buf.toString` per occurrence is most of a line's cost. */
class Interned {
  private readonly byLength = new Map<number, Array<{ bytes: Uint8Array; text: string }>>();
  private count = 0;

  /** `buf[start, end)` as a string (printable ASCII, checked by the caller). */
  get(buf: Buffer, start: number, end: number): string {
    const same = this.byLength.get(end - start);
    if (same) for (const entry of same) if (matches(buf, start, entry.bytes)) return entry.text;
    const text = buf.toString("latin1", start, end);
    if (this.count < MAX_INTERNED) {
      this.count++;
      const entry = { bytes: Uint8Array.from(buf.subarray(start, end)), text };
      if (same) same.push(entry);
      else this.byLength.set(end - start, [entry]);
    }
    return text;
  }
}

/** Enough for every key and event type of the schema, with room to spare; a log of other events only pays a miss. */
const MAX_INTERNED = 256;

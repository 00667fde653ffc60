/**
 * pkt-lines, the framing of git's wire protocol: four hex digits giving the length (counting themselves), then the
 * payload; "0000" is a flush. Also the side-band multiplexing that carries the pack next to progress messages.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The largest pkt-line, length prefix included (LARGE_PACKET_MAX in git). */
export const MAX_PKT_LENGTH = 65520;
export const FLUSH_PKT: Uint8Array = encoder.encode("0000");

export const SIDE_BAND = { data: 1, progress: 2, error: 3 } as const;

/** Thrown for bytes that are not a well-formed sequence of pkt-lines. */
export class PktLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PktLineError";
  }
}

export function pktLine(payload: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  const length = data.length + 4;
  if (length > MAX_PKT_LENGTH) throw new RangeError(`pkt-line of ${length} bytes is over ${MAX_PKT_LENGTH}`);
  const out = new Uint8Array(length);
  out.set(encoder.encode(length.toString(16).padStart(4, "0")), 0);
  out.set(data, 4);
  return out;
}

/** One side-band packet: the band number, then the payload (at most `maxPacket - 5` bytes). */
export function sideBandPkt(band: number, payload: string | Uint8Array): Uint8Array {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  const out = new Uint8Array(data.length + 1);
  out[0] = band;
  out.set(data, 1);
  return pktLine(out);
}

/** The text lines of a request, without their trailing newline; `null` stands for a flush. */
export function parsePktLines(bytes: Uint8Array): (string | null)[] {
  const lines: (string | null)[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new PktLineError("truncated pkt-line length");
    const hex = String.fromCharCode(...bytes.subarray(at, at + 4));
    if (!/^[0-9a-f]{4}$/.test(hex)) throw new PktLineError(`bad pkt-line length ${JSON.stringify(hex)}`);
    const length = parseInt(hex, 16);
    if (length === 0) {
      lines.push(null);
      at += 4;
      continue;
    }
    // 0001 and 0002 (delim, response-end) belong to protocol v2, which is never advertised.
    if (length < 4 || length > MAX_PKT_LENGTH) throw new PktLineError(`bad pkt-line length ${length}`);
    if (at + length > bytes.length) throw new PktLineError("truncated pkt-line");
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(at + 4, at + length));
    } catch {
      throw new PktLineError("pkt-line is not UTF-8 text");
    }
    lines.push(text.endsWith("\n") ? text.slice(0, -1) : text);
    at += length;
  }
  return lines;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The terminals of the EIP-4361 grammar, taken from RFC 3986 (scheme, authority, URI, pchar), RFC 5234 (ALPHA,
 * DIGIT) and RFC 3339 (date-time), written once so that formatting and parsing a message check the same things.
 */

// RFC 3986 §2: character classes, inside a regex character class.
const UNRESERVED = "A-Za-z0-9\\-._~";
const SUB_DELIMS = "!$&'()*+,;=";
const GEN_DELIMS = ":/?#\\[\\]@";
const PCT_ENCODED = "%[0-9A-Fa-f]{2}";
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT_ENCODED})`;

const SCHEME = "[A-Za-z][A-Za-z0-9+\\-.]*";
const USERINFO = `(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT_ENCODED})*`;
// IP-literal is checked for its characters only ("[", hex digits, ":", ".", "]"), not the IPv6 grammar: the verifier
// requires the domain to equal the coordinator's own, so a loosely checked literal can admit nothing more.
const IP_LITERAL = "\\[[0-9A-Fa-f:.]+\\]";
const REG_NAME = `(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT_ENCODED})`;
const PORT = "(?::[0-9]*)?";
/** RFC 3986 authority with a non-empty host: a SIWE domain must name the site asking for the signature. */
const DOMAIN = `(?:${USERINFO}@)?(?:${IP_LITERAL}|${REG_NAME}+)${PORT}`;
/** RFC 3986 authority as it appears in a URI, where the host may be empty ("file:///tmp"). */
const URI_AUTHORITY = `(?:${USERINFO}@)?(?:${IP_LITERAL}|${REG_NAME}*)${PORT}`;
// hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty; the last three are one
// optional "/" before an optional path that starts with a non-empty segment.
const HIER_PART = `(?://${URI_AUTHORITY}(?:/${PCHAR}*)*|/?(?:${PCHAR}+(?:/${PCHAR}*)*)?)`;
const QUERY_OR_FRAGMENT = `(?:${PCHAR}|[/?])*`;
const URI = `${SCHEME}:${HIER_PART}(?:\\?${QUERY_OR_FRAGMENT})?(?:#${QUERY_OR_FRAGMENT})?`;

export const SCHEME_SYNTAX = new RegExp(`^${SCHEME}$`);
export const DOMAIN_SYNTAX = new RegExp(`^${DOMAIN}$`);
export const URI_SYNTAX = new RegExp(`^${URI}$`);
/** statement = *( reserved / unreserved / " " ); an empty statement is written as none (EIP-4361 leaves no room for one). */
export const STATEMENT_SYNTAX = new RegExp(`^[${UNRESERVED}${GEN_DELIMS}${SUB_DELIMS} ]+$`);
/** nonce = 8*( ALPHA / DIGIT ) */
export const NONCE_SYNTAX = /^[A-Za-z0-9]{8,}$/;
/** request-id = *pchar */
export const REQUEST_ID_SYNTAX = new RegExp(`^${PCHAR}*$`);
/** chain-id = 1*DIGIT, written without leading zeros so that a message has a single spelling. */
export const CHAIN_ID_SYNTAX = /^(?:0|[1-9][0-9]*)$/;

// RFC 3339 §5.6 date-time; "T" and "Z" may be lower case (§5.6, note on ABNF case-insensitivity).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an RFC 3339 date-time, or undefined when `text` is not one: out-of-range months,
 * days (30 February), hours, minutes, seconds or offsets are refused, which `Date.parse` would quietly accept or
 * reinterpret. A leap second (:60) counts as the first millisecond of the next minute.
 */
export function rfc3339Millis(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = utcDate(year, month, 0).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHour = Number(m[10]);
    const offsetMinute = Number(m[11]);
    if (offsetHour > 23 || offsetMinute > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  const utc = utcDate(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  return utc.getTime() - offsetMinutes * 60_000;
}

/** Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear takes every year as written. */
function utcDate(year: number, monthIndex: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date;
}

/** An RFC 3339 date-time in UTC with milliseconds, as `Date.prototype.toISOString` writes it (and viem, and siwe). */
export function rfc3339(millis: number): string {
  return new Date(millis).toISOString();
}

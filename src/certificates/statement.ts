/**
 * The exact bytes a mirror signs. A statement names the ceremony, the mirror epoch in force at the commit, the last
 * event's sequence number, the commit and its tree: "I hold this transcript up to this commit and checked it". A
 * registration binds a mirror's key to a ceremony and to where it serves its clone. Both are short lines of ASCII,
 * readable in a certificate, parsed only in their one canonical form.
 */
export const STATEMENT_FORMAT = "ceremony-mirror-statement/1";
export const REGISTRATION_FORMAT = "ceremony-mirror-registration/1";

export interface Statement {
  ceremonyId: string;
  epoch: number;
  seq: number;
  /** The commit and its tree (40 hex each). */
  commit: string;
  tree: string;
}

const OID = /^[0-9a-f]{40}$/;
const CEREMONY = /^[0-9a-f]{64}$/;
const utf8 = new TextEncoder();

export function statementText(s: Statement): string {
  return `${STATEMENT_FORMAT}\nceremony ${s.ceremonyId}\nepoch ${s.epoch}\nseq ${s.seq}\ncommit ${s.commit}\ntree ${s.tree}\n`;
}

export function statementBytes(s: Statement): Uint8Array {
  return utf8.encode(statementText(s));
}

/** The statement these bytes are, only when they are exactly its canonical text; null otherwise. */
export function parseStatement(bytes: Uint8Array): Statement | null {
  if (bytes.length > 512) return null;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const m = /^ceremony-mirror-statement\/1\nceremony ([0-9a-f]{64})\nepoch (\d{1,9})\nseq (\d{1,15})\ncommit ([0-9a-f]{40})\ntree ([0-9a-f]{40})\n$/.exec(text);
  if (!m) return null;
  const [, ceremonyId = "", epoch = "", seq = "", commit = "", tree = ""] = m;
  const s: Statement = { ceremonyId, epoch: Number(epoch), seq: Number(seq), commit, tree };
  const canonical = statementBytes(s);
  return canonical.length === bytes.length && canonical.every((b, i) => b === bytes[i]) ? s : null;
}

export function isStatement(s: Statement): boolean {
  return CEREMONY.test(s.ceremonyId) && OID.test(s.commit) && OID.test(s.tree) && Number.isSafeInteger(s.seq) && s.seq >= 0 && Number.isSafeInteger(s.epoch) && s.epoch >= 0;
}

/** What a mirror signs to register: its key, for this ceremony, serving at this URL. */
export function registrationBytes(r: { ceremonyId: string; mirror: string; url: string }): Uint8Array {
  return utf8.encode(`${REGISTRATION_FORMAT}\nceremony ${r.ceremonyId}\nmirror ${r.mirror}\nurl ${r.url}\n`);
}

/** Free text (reasons, codes, names) made safe to print on one line: no control characters, so it cannot forge lines of a log or a commit message. */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** The text with every run of control characters (newlines, escapes, C1) turned into one space. */
export function printable(text: string): string {
  return text.replace(CONTROL, " ");
}

/** printable(), trimmed and cut to at most `max` characters (an ellipsis marks the cut). */
export function oneLine(text: string, max = 120): string {
  const flat = printable(text).trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

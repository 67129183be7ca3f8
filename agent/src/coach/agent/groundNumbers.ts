/**
 * Every number in a reply must come from a tool result. `ungroundedNumbers` lists the numbers of a text that
 * appear in none of the sources (as a whole number token: "25" is grounded by "25 USDC", not by "250");
 * `groundReply` replaces them with "?" so a model cannot state a figure the tools did not give it.
 *
 * Identifiers in tool results (addresses, hashes, UUIDs) are not numbers: "0xab97cd" or a workout id
 * "3f2a97b1-…" must not ground "97", so every hex-like token is blanked out of the sources first.
 */
const NUMBER = /\d+(?:\.\d+)?/g;
/** Word-like tokens (letters, digits, dashes): each is then judged whole, so the cost stays linear in the text. */
const TOKEN = /[0-9A-Za-z-]+/g;
const HEX_ID = /^(?:0x[0-9a-f]+|[0-9a-f]{8}[0-9a-f-]*)$/i;

/** 0x-prefixed hex, or a token of 8+ hex characters (dashes allowed, as in UUIDs) mixing letters and digits. */
function isIdentifier(token: string): boolean {
  if (!HEX_ID.test(token)) return false;
  return /^0x/i.test(token) || (/[a-f]/i.test(token) && /\d/.test(token));
}

function numericText(sources: readonly string[]): string {
  return sources.join("\n").replace(TOKEN, (token) => (isIdentifier(token) ? " " : token));
}

export function numbersIn(text: string): string[] {
  return text.match(NUMBER) ?? [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `sources` is text already stripped of identifiers (see `numericText`). */
export function isGrounded(number: string, sources: string): boolean {
  return new RegExp(`(?<![\\d.])${escapeRegExp(number)}(?![\\d]|\\.\\d)`).test(sources);
}

export function ungroundedNumbers(text: string, sources: readonly string[]): string[] {
  const joined = numericText(sources);
  return [...new Set(numbersIn(text).filter((n) => !isGrounded(n, joined)))];
}

export function groundReply(text: string, sources: readonly string[]): { text: string; removed: string[] } {
  const joined = numericText(sources);
  const removed: string[] = [];
  const grounded = text.replace(NUMBER, (n) => {
    if (isGrounded(n, joined)) return n;
    removed.push(n);
    return "?";
  });
  return { text: grounded, removed };
}

/**
 * Every number in a reply must come from a tool result. `ungroundedNumbers` lists the numbers of a text that
 * appear in none of the sources (as a whole number token: "25" is grounded by "25 USDC", not by "250");
 * `groundReply` replaces them with "?" so a model cannot state a figure the tools did not give it.
 */
const NUMBER = /\d+(?:\.\d+)?/g;

export function numbersIn(text: string): string[] {
  return text.match(NUMBER) ?? [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function isGrounded(number: string, sources: string): boolean {
  return new RegExp(`(?<![\\d.])${escapeRegExp(number)}(?![\\d]|\\.\\d)`).test(sources);
}

export function ungroundedNumbers(text: string, sources: readonly string[]): string[] {
  const joined = sources.join("\n");
  return [...new Set(numbersIn(text).filter((n) => !isGrounded(n, joined)))];
}

export function groundReply(text: string, sources: readonly string[]): { text: string; removed: string[] } {
  const joined = sources.join("\n");
  const removed: string[] = [];
  const grounded = text.replace(NUMBER, (n) => {
    if (isGrounded(n, joined)) return n;
    removed.push(n);
    return "?";
  });
  return { text: grounded, removed };
}

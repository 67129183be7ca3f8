/**
 * Masks what may not leave the process in free text (error messages on spans and in Sentry events): private
 * keys, signed transactions and other long hex, bearer tokens, cookies and `key=value` secrets, and URLs beyond
 * their origin (an RPC provider's key often sits in the path, OAuth codes in the query, passwords in userinfo).
 */
const URL_PATTERN = /\b(https?|wss?|postgres(?:ql)?|rediss?):\/\/[^\s"'<>]+/gi;

function originOnly(raw: string): string {
  try {
    const url = new URL(raw);
    const rest = url.pathname.length > 1 || url.search !== "" || url.hash !== "" ? "/…" : "";
    return `${url.protocol}//${url.host}${rest}`;
  } catch {
    return "[url]";
  }
}

export function scrubText(text: string): string {
  return text
    .replace(URL_PATTERN, originOnly)
    .replace(/0x[0-9a-fA-F]{64}(?![0-9a-fA-F])/g, "[hex-redacted]")
    .replace(/0x[0-9a-fA-F]{130,}/g, "[hex-redacted]")
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]")
    .replace(
      /\b(cookie|set-cookie|authorization|token|access_token|refresh_token|secret|password|code|state|ra_session)(["']?\s*[:=]\s*["']?)[^\s"';&,}]+/gi,
      "$1$2[redacted]",
    );
}

/**
 * Reading request cookies on demand. The agent reads at most two cookies (the session, and the OAuth state on
 * the Strava callback), so parsing the one asked for when it is asked costs less than parsing every cookie of
 * every request up front (what cookie-parser did). No signed or JSON cookies: the agent uses neither.
 */
import type { IncomingMessage } from "node:http";
import { parse } from "cookie";

/** The (URI-decoded) value of cookie `name` on `req`, or undefined when it has none. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined || header === "") return undefined;
  return parse(header)[name];
}

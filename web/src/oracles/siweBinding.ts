/**
 * Binds a SIWE sign-in to the agent it is meant for. Every agent of a deployment shares the SIWE `domain` (the web
 * app), so without a binding a dishonest agent could hand the wallet another agent's nonce, collect the signature
 * and replay it there to act as the user. Each agent of a multi-oracle deployment therefore sets `SIWE_URI` to its
 * own URL, and before asking the wallet to sign the app checks the nonce's `uri`:
 * - it is never another listed agent's URL (an honest agent never hands out a message for someone else);
 * - for an agent other than the app's own, it is that agent's URL;
 * - the app's own agent may also use the web app's origin (a single-agent deployment, the default).
 */

export class SignInBindingError extends Error {
  override name = "SignInBindingError";
}

/** `scheme://host[:port]/path` without a trailing slash, lower-cased scheme and host; the input when not a URL. */
export function normalizeAgentUri(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return uri.trim();
  }
}

export interface CheckSignInBindingParameters {
  /** The agent being signed in to. */
  agentUrl: string;
  /** The `uri` of the nonce (the message) that agent answered with. */
  nonceUri: string;
  /** Whether `agentUrl` is the app's own agent (`VITE_AGENT_URL`). */
  primary: boolean;
  /** Every oracle agent the app knows for this chain. */
  agentUrls: readonly string[];
  /** The web app's origin (`window.location.origin`). */
  webOrigin: string;
}

export function checkSignInBinding(p: CheckSignInBindingParameters): void {
  const uri = normalizeAgentUri(p.nonceUri);
  const own = normalizeAgentUri(p.agentUrl);
  if (uri === own) return;
  const other = p.agentUrls.map(normalizeAgentUri).find((u) => u !== own && u === uri);
  if (other !== undefined) {
    throw new SignInBindingError(
      `The agent at ${p.agentUrl} asked to sign a sign-in for another agent (${other}). Nothing was signed.`,
    );
  }
  if (p.primary && uri === normalizeAgentUri(p.webOrigin)) return;
  throw new SignInBindingError(
    `The agent at ${p.agentUrl} asked to sign a sign-in for ${p.nonceUri}, not for itself: its operator must set ` +
      `SIWE_URI to the agent's own URL. Nothing was signed.`,
  );
}

/**
 * Uploads fan out to every oracle agent of the deployment besides the app's own (which the Workouts page already
 * uploads to and whose verdict it shows): each oracle checks the file itself, so each can attest. A copy that
 * fails (agent down, signed out there, refused) is listed by oracle, and never hides the main verdict.
 */
import type { Sport } from "../api/schemas.ts";
import { describeError } from "../errors/describeError.ts";
import { isPrimaryAgent, oracleAgentsFor } from "./oracleAgents.ts";
import { uploadToAgent } from "./oracleClient.ts";

export interface CopyOutcome {
  label: string;
  ok: boolean;
  /** In words, when it failed. */
  message?: string;
}

/** Sends `file` to every other oracle agent of `chainId`, in parallel; one outcome per agent. */
export async function uploadToOtherOracles(
  chainId: number | undefined,
  file: File,
  sport: Sport | undefined,
): Promise<CopyOutcome[]> {
  const others = oracleAgentsFor(chainId).filter((a) => !isPrimaryAgent(a.url));
  const settled = await Promise.allSettled(others.map((a) => uploadToAgent(a.url, file, sport)));
  return others.map((agent, i) => {
    const r = settled[i];
    if (r?.status === "fulfilled") return { label: agent.label, ok: true };
    return { label: agent.label, ok: false, message: describeError(r?.reason).message };
  });
}

export function OracleCopies({ copies }: { copies: readonly CopyOutcome[] | undefined }) {
  if (copies === undefined || copies.length === 0) return null;
  const sent = copies.filter((c) => c.ok).length;
  return (
    <div className="hint" data-testid="oracle-copies">
      <p>
        Also sent to {sent} of {copies.length} other oracle{copies.length === 1 ? "" : "s"}.
      </p>
      {copies.some((c) => !c.ok) ? (
        <ul>
          {copies
            .filter((c) => !c.ok)
            .map((c) => (
              <li key={c.label}>
                {c.label}: not received ({c.message})
              </li>
            ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * Where the dashboard learns which commitments are the account's:
 * - signed in and the agent answers → the agent's list (`GET /api/commitments`, from its indexer: no block range,
 *   so a commitment of any age is there), `source: "agent"`;
 * - the agent is down (unreachable, or a 5xx) → the bounded chain fallback (chain/commitmentIndex.ts: by id,
 *   newest first), `source: "chain"`, `reason: "agent-down"`, which the dashboard says in a notice;
 * - signed out (or the session expired: 401) → the same chain read, `reason: "signed-out"`: the agent answers
 *   only to a session; when the session itself could not be read because the agent is down, `"agent-down"`.
 * Any other agent error (a 4xx, an answer that does not parse) is thrown: it is a bug to show, not an outage.
 * Either way each listed commitment's terms and milestone states are then read from the vault (one batched
 * `eth_call` each, at most MAX_FOUND), so a transaction just mined shows at once, without waiting for the
 * indexer.
 */
import type { Address } from "viem";
import { AgentUnreachableError, ProblemError } from "../api/agentClient.ts";
import type { ApiCommitment } from "../api/schemas.ts";
import { MAX_FOUND, type OwnedIds } from "../chain/commitmentIndex.ts";
import type { CommitmentView } from "../chain/vaultReads.ts";

export type FallbackReason = "agent-down" | "signed-out";

export interface DashboardCommitments {
  source: "agent" | "chain";
  reason: FallbackReason | null;
  /** Newest first. */
  commitments: CommitmentView[];
  /** The agent's view (progress, claimable) when it answered. */
  agent: ApiCommitment[] | null;
  /** Older commitments exist that this listing did not read (chain fallback bound, or more than MAX_FOUND). */
  truncated: boolean;
  /** Why the agent was not used, in words, when it is down. */
  agentError: unknown;
}

export interface LoadCommitmentsParameters {
  signedIn: boolean;
  /** Why the session could not be read (the agent down at page load leaves it unknown, not signed out). */
  sessionError?: unknown;
  fromAgent: () => Promise<ApiCommitment[]>;
  fromChain: () => Promise<OwnedIds>;
  read: (id: bigint) => Promise<CommitmentView>;
  maxFound?: number;
  /** The connected account: a listed commitment the vault says is someone else's is not shown as its own. */
  owner?: Address;
}

/** The agent cannot answer at all: unreachable, or a server-side failure. */
export function isAgentDown(error: unknown): boolean {
  return error instanceof AgentUnreachableError || (error instanceof ProblemError && error.status >= 500);
}

export async function loadDashboardCommitments({
  signedIn,
  sessionError,
  fromAgent,
  fromChain,
  read,
  maxFound = MAX_FOUND,
  owner,
}: LoadCommitmentsParameters): Promise<DashboardCommitments> {
  let agent: ApiCommitment[] | null = null;
  let reason: FallbackReason | null = null;
  let agentError: unknown = null;
  if (!signedIn) {
    const down = sessionError !== undefined && sessionError !== null && isAgentDown(sessionError);
    reason = down ? "agent-down" : "signed-out";
    if (down) agentError = sessionError;
  }
  if (signedIn) {
    try {
      agent = await fromAgent();
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) reason = "signed-out";
      else if (isAgentDown(error)) reason = "agent-down";
      else throw error;
      agentError = error;
    }
  }
  let ids: bigint[];
  let truncated: boolean;
  if (agent !== null) {
    const all = [...new Set(agent.map((c) => BigInt(c.id)))].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    ids = all.slice(0, maxFound);
    truncated = all.length > maxFound;
  } else {
    const owned = await fromChain();
    ids = owned.ids.slice(0, maxFound);
    truncated = owned.truncated;
  }
  const views = await Promise.all(ids.map((id) => read(id)));
  const commitments =
    owner === undefined ? views : views.filter((c) => c.owner.toLowerCase() === owner.toLowerCase());
  return {
    source: agent === null ? "chain" : "agent",
    reason,
    commitments,
    agent,
    truncated,
    agentError,
  };
}

/**
 * The oracle agents of a deployment as the screen needs them: each one's status (`GET /api/status`: its oracle
 * address, relayer on or off) and session, sign-in to every agent not signed in yet (one SIWE signature per
 * agent: each agent checks its own nonce), each agent's view of the owner's commitments (verdicts), and the
 * gasless claim through an agent's relayer with the other oracles' signatures.
 */
import { useMutation, useQueries, useQueryClient } from "@tanstack/react-query";
import type { Address } from "viem";
import { useConfig, useConnection, useSignMessage } from "wagmi";
import type { ApiCommitment } from "../api/schemas.ts";
import type { Deployment } from "../chain/deployments.ts";
import { buildSignInMessage, SESSION_KEY, sessionMatches } from "../hooks/useSession.ts";
import { isPrimaryAgent, type OracleAgent, oracleAgentsFor } from "./oracleAgents.ts";
import {
  type AgentStatus,
  agentRequest,
  fetchAgentNonce,
  fetchAgentSession,
  fetchAgentStatus,
  type RelayResult,
  requestRelayedClaim,
  verifyAgentSignIn,
} from "./oracleClient.ts";
import { commitmentListSchema } from "../api/schemas.ts";
import { type Verdict, verdictOf, verdictOfError } from "./quorum.ts";
import { gatherMilestoneQuorum, readOracleSet } from "./quorumClaim.ts";
import { relayFailure } from "./relayOutcome.ts";
import { checkSignInBinding } from "./siweBinding.ts";

export interface OracleState {
  agent: OracleAgent;
  status: AgentStatus | undefined;
  reachable: boolean;
  signedIn: boolean;
  loading: boolean;
}

export const ORACLES_KEY = ["oracles"] as const;

export function useOracleStates(deployment: Deployment): OracleState[] {
  const { address } = useConnection();
  const agents = oracleAgentsFor(deployment.chainId);
  const results = useQueries({
    queries: agents.map((agent) => ({
      queryKey: [...ORACLES_KEY, "state", agent.url, address],
      retry: false,
      // An agent can go down or come back at any time: asked again on every visit and every 15 s.
      staleTime: 5_000,
      refetchOnMount: "always" as const,
      refetchInterval: 15_000,
      queryFn: async () => {
        const [status, session] = await Promise.all([
          fetchAgentStatus(agent.url).catch(() => undefined),
          fetchAgentSession(agent.url),
        ]);
        return { status, session };
      },
    })),
  });
  return agents.map((agent, i) => {
    const r = results[i];
    const status = r?.data?.status;
    return {
      agent: status?.oracle && agent.oracle === undefined ? { ...agent, oracle: status.oracle } : agent,
      status,
      reachable: r?.isSuccess === true,
      signedIn: sessionMatches(r?.data?.session, address),
      loading: r?.isPending === true,
    };
  });
}

/** Signs in to every reachable agent that has no session for the connected wallet, one after the other. */
export function useSignInOracles() {
  const { address } = useConnection();
  const { mutateAsync: signMessage } = useSignMessage();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({
      agents,
      known,
    }: {
      agents: readonly OracleAgent[];
      known: readonly OracleAgent[];
    }) => {
      if (address === undefined) throw new Error("Connect a wallet first.");
      let count = 0;
      for (const agent of agents) {
        const nonce = await fetchAgentNonce(agent.url);
        checkSignInBinding({
          agentUrl: agent.url,
          nonceUri: nonce.uri,
          primary: isPrimaryAgent(agent.url),
          agentUrls: known.map((a) => a.url),
          webOrigin: window.location.origin,
        });
        const message = buildSignInMessage({ address, nonce, issuedAt: new Date() });
        const signature = await signMessage({ message });
        await verifyAgentSignIn(agent.url, message, signature);
        count++;
      }
      return { count };
    },
    onSettled: async (_data, _error, { agents }) => {
      if (agents.some((a) => isPrimaryAgent(a.url)))
        await queryClient.invalidateQueries({ queryKey: SESSION_KEY });
      await queryClient.invalidateQueries({ queryKey: ORACLES_KEY });
    },
  });
}

/** One agent's answer about the owner's commitments: the list, or why there is none. */
export type AgentView = { ok: true; commitments: ApiCommitment[] } | { ok: false; verdict: Verdict };

export function useOracleViews(states: readonly OracleState[], enabled: boolean) {
  const { address } = useConnection();
  return useQueries({
    queries: states.map((s) => ({
      queryKey: [...ORACLES_KEY, "commitments", s.agent.url, address, s.signedIn],
      enabled,
      retry: false,
      queryFn: async (): Promise<AgentView> => {
        if (!s.signedIn && s.reachable) return { ok: false, verdict: { kind: "signed_out" } };
        try {
          const body = await agentRequest(s.agent.url, "/api/commitments", commitmentListSchema);
          return { ok: true, commitments: body.commitments };
        } catch (error) {
          return { ok: false, verdict: verdictOfError(error) };
        }
      },
    })),
  });
}

export function milestoneVerdict(view: AgentView | undefined, commitmentId: string, index: number): Verdict {
  if (view === undefined) return { kind: "unknown" };
  if (!view.ok) return view.verdict;
  const c = view.commitments.find((x) => x.id === commitmentId);
  return verdictOf(c?.milestones.find((m) => m.index === index));
}

export interface GaslessRef {
  commitmentId: bigint;
  index: number;
}

/**
 * Gasless claims: per milestone, the quorum from every oracle, then one relayer-enabled agent of that quorum
 * submits it (its own signature plus the others', and the explicit evidence set when one was needed).
 */
export function useGaslessClaims(deployment: Deployment, states: readonly OracleState[]) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (refs: readonly GaslessRef[]) => {
      const relayers = states.filter((s) => s.reachable && s.status?.relayer.enabled === true);
      if (relayers.length === 0)
        throw new Error("No oracle agent relays claims right now: claim from your wallet.");
      const set = await readOracleSet(config, deployment);
      const agents = states.map((s) => s.agent);
      const results: (RelayResult & GaslessRef)[] = [];
      for (const ref of refs.slice(0, 20)) {
        const q = await gatherMilestoneQuorum({
          deployment,
          set,
          commitmentId: ref.commitmentId,
          index: ref.index,
          agents,
          config,
        });
        const signers = new Set(q.attestations.map((a) => a.signer.toLowerCase()));
        const relayer =
          relayers.find((s) => s.agent.oracle !== undefined && signers.has(s.agent.oracle.toLowerCase())) ??
          relayers[0];
        if (relayer === undefined) throw new Error("No oracle agent relays claims right now.");
        const result = await requestRelayedClaim(relayer.agent.url, ref.commitmentId, ref.index, {
          signatures: q.attestations.map((a) => ({ signer: a.signer as Address, signature: a.signature })),
          ...(q.workouts === undefined ? {} : { workouts: q.workouts }),
        });
        results.push({ ...result, ...ref });
      }
      // A reverted or failed relay released nothing: an error, not "the relayer is claiming".
      const failure = relayFailure(results);
      if (failure !== undefined) throw failure;
      return results;
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

/** True when at least one reachable agent relays claims. */
export function useRelayerOn(states: readonly OracleState[]): boolean {
  return states.some((s) => s.reachable && s.status?.relayer.enabled === true);
}

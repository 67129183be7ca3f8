/**
 * `GET /api/status` (public, no session): what a client needs to know about this agent before acting through it —
 * the oracle address it signs with (`null` when it holds no key), the chain and vault it serves, and whether its
 * gasless relayer is on, and which activity providers it links (Strava). The web app reads it to match each agent to
 * one of the vault's oracles, to show the "claim before <deadline>" banner when no agent relays claims, and to offer
 * "Connect Strava" only where Strava is configured. Nothing secret: the operator's address is not
 * listed, nor any setting.
 */
import { Router } from "express";
import type { Address } from "viem";

export interface StatusRouterParameters {
  /** The oracle's signing address, when this agent signs attestations. */
  oracle: Address | undefined;
  chainId: number;
  /** The vault this agent serves, when one is configured. */
  vault: Address | undefined;
  /** True when `POST /api/commitments/:id/milestones/:i/claim` relays claims (RELAYER_ENABLED). */
  relayerEnabled: boolean;
  /** True when `/api/providers/strava` is served (STRAVA_CLIENT_ID). Default false. */
  stravaEnabled?: boolean;
}

export interface AgentStatus {
  oracle: Address | null;
  chainId: number;
  vault: Address | null;
  relayer: { enabled: boolean };
  providers: { strava: boolean };
}

export function statusRouter(parameters: StatusRouterParameters): Router {
  const body: AgentStatus = {
    oracle: parameters.oracle ?? null,
    chainId: parameters.chainId,
    vault: parameters.vault ?? null,
    relayer: { enabled: parameters.relayerEnabled },
    providers: { strava: parameters.stravaEnabled ?? false },
  };
  const router = Router();
  router.get("/", (_req, res) => {
    res.json(body);
  });
  return router;
}

/**
 * Every oracle agent the app talks to for a deployment. Where the list comes from, first match wins:
 * 1. `VITE_AGENT_URLS` (comma-separated; build time), for a deployment whose record lists none or to override it;
 * 2. the `agents` list of `deployments/<network>.json` (`[{ url, oracle }]`, written by the deploy script from
 *    `AGENT_URLS`), one agent per oracle of the vault;
 * 3. `VITE_AGENT_URL` alone (the app's own agent), as before there were several.
 * The app's own agent (`VITE_AGENT_URL`) keeps serving the coach, the workout list and the dashboard; claims ask
 * every agent of this list (quorum.ts) and uploads go to all of them.
 */
import { type Address, getAddress } from "viem";
import { z } from "zod";
import { agentUrl, env } from "../env.ts";

export interface OracleAgent {
  /** Base URL without a trailing slash. */
  url: string;
  /** The oracle address this agent signs with, when the deployment says (else learnt from `GET /api/status`). */
  oracle?: Address;
  /** Short name for the screen: "Oracle 1", "Oracle 2"… in list order. */
  label: string;
}

const agentEntrySchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  oracle: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .transform((a) => getAddress(a))
    .optional(),
});
const recordAgentsSchema = z.object({
  chainId: z.number().int().positive(),
  agents: z.array(agentEntrySchema).max(16).optional(),
});

export type RecordAgents = Map<number, { url: string; oracle?: Address }[]>;

/** The `agents` lists of the deployment records `import.meta.glob` found, by chain id (old records have none). */
export function parseRecordAgents(modules: Record<string, unknown>): RecordAgents {
  const byChain: RecordAgents = new Map();
  for (const mod of Object.values(modules)) {
    const raw = mod !== null && typeof mod === "object" && "default" in mod ? mod.default : mod;
    const parsed = recordAgentsSchema.safeParse(raw);
    if (parsed.success && parsed.data.agents !== undefined && parsed.data.agents.length > 0) {
      byChain.set(
        parsed.data.chainId,
        parsed.data.agents.map((a) =>
          a.oracle === undefined ? { url: a.url } : { url: a.url, oracle: a.oracle },
        ),
      );
    }
  }
  return byChain;
}

const trim = (url: string) => url.replace(/\/+$/, "");

/** The list for one chain (see the module comment); duplicates (same URL) are dropped, order kept. */
export function resolveOracleAgents(input: {
  envUrls: readonly string[] | undefined;
  recordAgents: readonly { url: string; oracle?: Address }[] | undefined;
  primaryUrl: string;
}): OracleAgent[] {
  const source: { url: string; oracle?: Address }[] =
    input.envUrls !== undefined && input.envUrls.length > 0
      ? input.envUrls.map((url) => ({ url }))
      : input.recordAgents !== undefined && input.recordAgents.length > 0
        ? [...input.recordAgents]
        : [{ url: input.primaryUrl }];
  const seen = new Set<string>();
  const agents: OracleAgent[] = [];
  for (const entry of source) {
    const url = trim(entry.url);
    if (seen.has(url.toLowerCase())) continue;
    seen.add(url.toLowerCase());
    agents.push({
      url,
      label: `Oracle ${agents.length + 1}`,
      ...(entry.oracle === undefined ? {} : { oracle: entry.oracle }),
    });
  }
  return agents;
}

const recordAgents = parseRecordAgents(import.meta.glob("../../../deployments/*.json", { eager: true }));

/** The oracle agents for `chainId` in this build. */
export function oracleAgentsFor(chainId: number | undefined): OracleAgent[] {
  return resolveOracleAgents({
    envUrls: env.VITE_AGENT_URLS,
    recordAgents: chainId === undefined ? undefined : recordAgents.get(chainId),
    primaryUrl: agentUrl,
  });
}

/** Whether `url` is the app's own agent (its session is the app's session). */
export function isPrimaryAgent(url: string): boolean {
  return trim(url).toLowerCase() === agentUrl.toLowerCase();
}

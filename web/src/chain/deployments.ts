/**
 * The vault deployments this build knows, read from `deployments/<network>.json` at build time. A missing file
 * (e.g. the git-ignored localhost.json on a clean clone) simply means "no deployment for that chain".
 */
import { z } from "zod";
import { address } from "../api/schemas.ts";

export const deploymentSchema = z.object({
  network: z.string(),
  chainId: z.number().int().positive(),
  vault: z.object({ address, deploymentBlock: z.number().int().min(0) }),
  /** The ChallengePool (issue 14), when this deployment has one: the Challenges screens need it. */
  challengePool: z.object({ address, deploymentBlock: z.number().int().min(0) }).optional(),
  admin: address,
  oracles: z.array(address),
  threshold: z.number().int().min(1),
  tokens: z.array(
    z.object({
      address,
      symbol: z.string().min(1).max(16),
      decimals: z.number().int().min(0).max(36),
      permit: z.boolean(),
      mock: z.boolean(),
    }),
  ),
  deployedAt: z.string(),
});

export type Deployment = z.infer<typeof deploymentSchema>;
export type DeployedToken = Deployment["tokens"][number];

/** Parses every module `import.meta.glob` found; files that do not match the shape are ignored. */
export function parseDeployments(modules: Record<string, unknown>): Deployment[] {
  const byChain = new Map<number, Deployment>();
  for (const [path, mod] of Object.entries(modules)) {
    const raw = mod !== null && typeof mod === "object" && "default" in mod ? mod.default : mod;
    const parsed = deploymentSchema.safeParse(raw);
    if (parsed.success) byChain.set(parsed.data.chainId, parsed.data);
    else console.warn(`ignoring ${path}: not a deployment record`);
  }
  return [...byChain.values()].sort((a, b) => a.chainId - b.chainId);
}

export const deployments: readonly Deployment[] = parseDeployments(
  import.meta.glob("../../../deployments/*.json", { eager: true }),
);

export function deploymentFor(chainId: number | undefined): Deployment | undefined {
  return deployments.find((d) => d.chainId === chainId);
}

/**
 * Build-time settings (Vite `VITE_*` variables), parsed once with zod. Nothing else reads `import.meta.env`.
 *
 * - `VITE_AGENT_URL`: where the agent API lives (default http://127.0.0.1:8787).
 * - `VITE_AGENT_URLS`: every oracle agent of the deployment, comma-separated (overrides the `agents` list of
 *   `deployments/<network>.json`; web/src/oracles/oracleAgents.ts). Unset: that list, else VITE_AGENT_URL alone.
 * - `VITE_WALLETCONNECT_PROJECT_ID`: enables WalletConnect in the connect dialog when set.
 * - `VITE_RPC_URL_<chainId>`: JSON-RPC endpoint per chain (default: the chain's public RPC; 31337 →
 *   http://127.0.0.1:8545).
 * - `VITE_SENTRY_DSN`: reports the app's unexpected errors to Sentry when set (`@sentry/react`, loaded lazily
 *   after the first screen); `VITE_SENTRY_ENVIRONMENT` and `VITE_RELEASE` tag them.
 */
import { z } from "zod";

const url = z.url({ protocol: /^https?$/ });

const envSchema = z.object({
  VITE_AGENT_URL: url.default("http://127.0.0.1:8787"),
  VITE_AGENT_URLS: z
    .string()
    .transform((raw) =>
      raw
        .split(",")
        .map((u) => u.trim())
        .filter((u) => u !== ""),
    )
    .pipe(z.array(url).min(1).max(16))
    .optional(),
  VITE_WALLETCONNECT_PROJECT_ID: z
    .string()
    .regex(/^[A-Za-z0-9]{8,64}$/)
    .optional()
    .catch(undefined),
  VITE_RPC_URL_31337: url.default("http://127.0.0.1:8545"),
  VITE_RPC_URL_11155111: url.optional(),
  VITE_RPC_URL_84532: url.optional(),
  VITE_SENTRY_DSN: z
    .url({ protocol: /^https?$/ })
    .refine((raw) => /^https?:\/\/[^@/]+@[^/]+\/\d+$/.test(raw), "must be a Sentry DSN")
    .optional()
    .catch(undefined),
  VITE_SENTRY_ENVIRONMENT: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional()
    .catch(undefined),
  VITE_RELEASE: z
    .string()
    .regex(/^[A-Za-z0-9._@+-]{1,128}$/)
    .optional()
    .catch(undefined),
});

export type AppEnv = z.infer<typeof envSchema>;

/** Empty strings count as unset (a `.env` line `VITE_AGENT_URL=`). */
export function parseEnv(raw: Record<string, unknown>): AppEnv {
  const present: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw))
    if (value !== "" && value !== undefined) present[key] = value;
  return envSchema.parse(present);
}

export const env: AppEnv = parseEnv(import.meta.env);

/** The agent base URL without a trailing slash. */
export const agentUrl: string = env.VITE_AGENT_URL.replace(/\/+$/, "");

/**
 * The wagmi configuration: the chains `deployments/` lists (Hardhat local 31337, Sepolia, Base Sepolia),
 * injected wallets discovered through EIP-6963, and WalletConnect only when a project id is configured.
 */
import { type Chain, http } from "viem";
import { baseSepolia, hardhat, sepolia } from "viem/chains";
import { createConfig, createStorage } from "wagmi";
import { walletConnect } from "wagmi/connectors/walletConnect";
import { env } from "../env.ts";
import { deployments } from "./deployments.ts";

const KNOWN_CHAINS: readonly Chain[] = [hardhat, sepolia, baseSepolia];

function rpcUrlFor(chainId: number): string | undefined {
  if (chainId === hardhat.id) return env.VITE_RPC_URL_31337;
  if (chainId === sepolia.id) return env.VITE_RPC_URL_11155111;
  if (chainId === baseSepolia.id) return env.VITE_RPC_URL_84532;
  return undefined;
}

/** The chains with a deployment, in the order of KNOWN_CHAINS; the local chain when nothing is deployed. */
export function chainsFor(deployedChainIds: readonly number[]): [Chain, ...Chain[]] {
  const chains = KNOWN_CHAINS.filter((c) => deployedChainIds.includes(c.id));
  const [first, ...rest] = chains;
  return first === undefined ? [hardhat] : [first, ...rest];
}

export const appChains = chainsFor(deployments.map((d) => d.chainId));

export const wagmiConfig = createConfig({
  chains: appChains,
  multiInjectedProviderDiscovery: true,
  connectors:
    env.VITE_WALLETCONNECT_PROJECT_ID === undefined
      ? []
      : [walletConnect({ projectId: env.VITE_WALLETCONNECT_PROJECT_ID, showQrModal: true })],
  transports: Object.fromEntries(appChains.map((c) => [c.id, http(rpcUrlFor(c.id))])),
  storage: createStorage({ storage: typeof window === "undefined" ? undefined : window.localStorage }),
});

declare module "wagmi" {
  interface Register {
    config: typeof wagmiConfig;
  }
}

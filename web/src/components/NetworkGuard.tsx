/**
 * Renders its children only on a chain with a vault deployment; otherwise says so and offers a one-click switch
 * to each chain that has one.
 */
import { useChainId, useConnection, useSwitchChain } from "wagmi";
import { type Deployment, deploymentFor, deployments } from "../chain/deployments.ts";
import { appChains } from "../chain/wagmiConfig.ts";
import { ErrorAlert } from "./ErrorAlert.tsx";

export interface NetworkGuardProps {
  children: (deployment: Deployment) => React.ReactNode;
}

function chainName(chainId: number): string {
  return appChains.find((c) => c.id === chainId)?.name ?? `chain ${chainId}`;
}

export function NetworkGuard({ children }: NetworkGuardProps) {
  const { chainId: walletChainId, isConnected } = useConnection();
  const configChainId = useChainId();
  const chainId = isConnected ? walletChainId : configChainId;
  const switchChain = useSwitchChain();
  const deployment = deploymentFor(chainId);
  if (deployment !== undefined) return <>{children(deployment)}</>;
  return (
    <div className="alert warn" role="alert" data-error-kind="wrong_network">
      <p>
        <strong>Wrong network.</strong>{" "}
        {deployments.length === 0
          ? "This build knows no vault deployment at all. Deploy one (npm start) and rebuild the app."
          : `There is no vault deployment on ${chainId === undefined ? "this network" : chainName(chainId)}.`}
      </p>
      {deployments.map((d) => (
        <button
          key={d.chainId}
          type="button"
          onClick={() => switchChain.mutate({ chainId: d.chainId })}
          disabled={switchChain.isPending}
        >
          Switch to {chainName(d.chainId)}
        </button>
      ))}
      <ErrorAlert error={switchChain.error} />
    </div>
  );
}

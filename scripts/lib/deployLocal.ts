/**
 * Deploys the vault (with a mock USDC; one oracle, threshold 1) and then the ChallengePool to a local node,
 * through Hardhat connected to it, building the contracts first if needed: the demo's and the load test's chain.
 */
import path from "node:path";
import { createHardhatRuntimeEnvironment, importUserConfig } from "hardhat/hre";
import { type Address, getAddress } from "viem";
import { deployChallengePool } from "./deployChallengePool.ts";
import { deployVault } from "./deployVault.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CONFIG_PATH = path.join(ROOT, "hardhat.config.ts");

export interface LocalDeployment {
  vault: Address;
  usdc: Address;
  deploymentBlock: number;
  pool: Address;
  poolDeploymentBlock: number;
}

/** `admin` administers both contracts (and deploys them: the node's account #0); `oracle` is the vault's one oracle. */
export async function deployLocal(
  rpcUrl: string,
  roles: { admin: Address; oracle: Address },
): Promise<LocalDeployment> {
  const hre = await createHardhatRuntimeEnvironment(
    await importUserConfig(CONFIG_PATH),
    { config: CONFIG_PATH },
    ROOT,
  );
  await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
  const connection = await hre.network.create({ network: "localhost", override: { url: rpcUrl } });
  try {
    const { admin, oracle } = roles;
    const result = await deployVault(connection.ethers, {
      admin,
      oracles: [oracle],
      threshold: 1,
      withMockUsdc: true,
    });
    if (result.usdc === undefined) throw new Error("deployVault did not deploy the mock USDC");
    const vault = getAddress(await result.vault.getAddress());
    const pool = await deployChallengePool(connection.ethers, { vault, admin });
    return {
      vault,
      usdc: getAddress(await result.usdc.getAddress()),
      deploymentBlock: result.deploymentBlock,
      pool: getAddress(await pool.pool.getAddress()),
      poolDeploymentBlock: pool.deploymentBlock,
    };
  } finally {
    await connection.close();
  }
}

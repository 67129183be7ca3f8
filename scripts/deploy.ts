/**
 * Deploys CommitmentVault (and, on local chains, an allowlisted mock USDC) to the selected network and writes
 * deployments/<network>.json plus the typed ABI module.
 *
 *   npm run deploy -- --network localhost
 *   ORACLES=0xA,0xB,0xC THRESHOLD=2 ADMIN=0xSafe ALLOW_TOKENS=0xUSDC npm run deploy -- --network baseSepolia
 *   CUSTOM_RPC_URL=https://... CUSTOM_CHAIN_ID=80002 ORACLES=0xA npm run deploy -- --network custom
 *
 * Networks and secrets are in hardhat.config.ts: testnets and `custom` read their RPC URL and
 * DEPLOYER_PRIVATE_KEY as configuration variables (the environment, else hardhat-keystore).
 *
 * Environment (all optional on local chains):
 *   ADMIN         admin + guardian (default: the deployer). Tokens can only be allowlisted at deploy time
 *                 when ADMIN is the deployer; otherwise the admin calls setTokenAllowed afterwards.
 *   ORACLES       comma-separated oracle addresses (default on local chains: Hardhat account #1)
 *   THRESHOLD     signatures per claim (default 1)
 *   ALLOW_TOKENS  comma-separated ERC-20 addresses to allowlist
 *   AGENT_URLS    comma-separated agent URLs, one per oracle in the order of ORACLES: recorded as `agents`, so the
 *                 web app asks every oracle (optional; without it the web app uses its VITE_AGENT_URL(S))
 *   MOCK_USDC     "true" to deploy a mock USDC with permit (default: true on chain 31337 only)
 *   DEPLOYMENTS_DIR  where <network>.json goes (default deployments/; a rehearsal points it at a temporary
 *                 directory). deployments/abi.ts is always regenerated in place.
 */
import { LOCAL_CHAIN_ID } from "@resolution-autopilot/vocabulary/chains";
import { network } from "hardhat";
import { z } from "zod";
import { deployChallengePool } from "./lib/deployChallengePool.ts";
import { deployVault, MOCK_USDC_CONSTRUCTOR_ARGS } from "./lib/deployVault.ts";
import { installMulticall3, MULTICALL3_ADDRESS } from "./lib/multicall3.ts";
import { type DeploymentRecord, writeDeployment } from "./lib/writeDeployment.ts";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
const addressList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(address));

const { ethers, networkName, provider } = await network.getOrCreate();
const chainId = Number((await ethers.provider.getNetwork()).chainId);
const local = chainId === LOCAL_CHAIN_ID;
const [deployer, localOracle] = await ethers.getSigners();
if (!deployer) throw new Error(`no deployer account configured for network ${networkName}`);

const env = z
  .object({
    ADMIN: address.optional(),
    ORACLES: addressList.optional(),
    THRESHOLD: z.coerce.number().int().min(1).max(16).optional(),
    ALLOW_TOKENS: addressList.optional(),
    MOCK_USDC: z.enum(["true", "false"]).optional(),
    AGENT_URLS: z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .url()
            .regex(/^https?:\/\//, "must be an http(s) URL"),
        ),
      )
      .optional(),
  })
  .safeParse(process.env);
if (!env.success) {
  const issue = env.error.issues[0];
  console.error(`deploy: invalid ${issue?.path.join(".")}: ${issue?.message}`);
  process.exit(1);
}
const admin = env.data.ADMIN ?? deployer.address;
const oracles = env.data.ORACLES ?? (local && localOracle ? [localOracle.address] : undefined);
if (!oracles || oracles.length === 0) {
  console.error("deploy: ORACLES is required outside the local chain (comma-separated addresses)");
  process.exit(1);
}
const threshold = env.data.THRESHOLD ?? 1;
const agentUrls = env.data.AGENT_URLS ?? [];
if (agentUrls.length > 0 && agentUrls.length !== oracles.length) {
  console.error(
    `deploy: invalid AGENT_URLS: ${agentUrls.length} URLs for ${oracles.length} oracles (one per oracle, in the order of ORACLES)`,
  );
  process.exit(1);
}
const withMockUsdc = env.data.MOCK_USDC ? env.data.MOCK_USDC === "true" : local;
const allowTokens = env.data.ALLOW_TOKENS ?? [];
if (admin.toLowerCase() !== deployer.address.toLowerCase() && (withMockUsdc || allowTokens.length > 0)) {
  console.error("deploy: tokens can only be allowlisted at deploy time when ADMIN is the deployer");
  process.exit(1);
}

const result = await deployVault(ethers, { admin, oracles, threshold, withMockUsdc, allowTokens });
// The keeper batches slashes through Multicall3; public chains have it, a fresh local chain does not.
if (local && (await installMulticall3(provider)))
  console.log(`  Multicall3 installed at ${MULTICALL3_ADDRESS}`);
const vaultAddress = await result.vault.getAddress();
// The pool comes after the vault and the mock USDC (and its allowlisting), so their local addresses do not move.
const pool = await deployChallengePool(ethers, { vault: vaultAddress, admin });
const poolAddress = await pool.pool.getAddress();
const usdcAddress = await result.usdc?.getAddress();
const tokens: DeploymentRecord["tokens"] = [];
for (const tokenAddress of result.allowedTokens) {
  const token = await ethers.getContractAt("MockERC20Permit", tokenAddress);
  const isMock = tokenAddress === usdcAddress;
  let permit = false;
  try {
    await token.DOMAIN_SEPARATOR();
    permit = true;
  } catch {
    permit = false;
  }
  tokens.push({
    address: tokenAddress,
    symbol: await token.symbol(),
    decimals: Number(await token.decimals()),
    permit,
    mock: isMock,
    ...(isMock ? { constructorArgs: MOCK_USDC_CONSTRUCTOR_ARGS } : {}),
  });
}
// The oracle set and threshold as the vault reports them, not as they were asked for.
const record: DeploymentRecord = {
  network: networkName,
  chainId,
  vault: {
    address: vaultAddress,
    deploymentBlock: result.deploymentBlock,
    transactionHash: result.transactionHash,
    constructorArgs: result.constructorArgs,
  },
  challengePool: {
    address: poolAddress,
    deploymentBlock: pool.deploymentBlock,
    transactionHash: pool.transactionHash,
    constructorArgs: pool.constructorArgs,
  },
  deployer: deployer.address,
  ...(agentUrls.length > 0
    ? { agents: agentUrls.map((url, i) => ({ url, oracle: oracles[i] as string })) }
    : {}),
  admin,
  oracles: [...(await result.vault.oracles())],
  threshold: Number(await result.vault.threshold()),
  tokens,
  deployedAt: new Date().toISOString(),
};
// Hardhat's in-process network ("default") vanishes when this script ends: nothing worth recording.
const file =
  networkName === "default" ? "(nothing: in-process network)" : await writeDeployment(process.cwd(), record);
console.log(
  `CommitmentVault ${vaultAddress} on ${networkName} (chain ${chainId}), block ${result.deploymentBlock}`,
);
console.log(`  ChallengePool ${poolAddress}, block ${pool.deploymentBlock}`);
for (const t of tokens) console.log(`  token ${t.symbol} ${t.address}${t.mock ? " (mock)" : ""}`);
console.log(`  oracles ${record.oracles.join(", ")} threshold ${record.threshold}`);
console.log(`  wrote ${file} and deployments/abi.ts`);
if (!local) console.log(`  verify the source: npm run verify -- --network ${networkName}`);

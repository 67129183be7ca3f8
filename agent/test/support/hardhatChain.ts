/**
 * An in-process Hardhat chain (EDR, chain id 31337) for the agent's tests, with the vault deployed by the
 * production deploy function (`scripts/lib/deployVault.ts`), so what the agent is tested against is what
 * ships. One Hardhat runtime per process; `createHardhatChain()` opens a fresh chain per suite.
 *
 * Needs the contract artifacts: `npx hardhat build --quiet` from the repository root (`npm test` builds them).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import { createHardhatRuntimeEnvironment, importUserConfig } from "hardhat/hre";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  type CustomTransport,
  type EIP1193RequestFn,
  getAddress,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  type PublicClient,
  parseEventLogs,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { installMulticall3, MULTICALL3_ADDRESS } from "../../../scripts/lib/multicall3.ts";
import { milestoneAttestationTypedData } from "@resolution-autopilot/vocabulary";

/** Hardhat's default development mnemonic: its accounts are funded with 10 000 ETH each. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const CONFIG_PATH = path.join(ROOT, "hardhat.config.ts");

/**
 * The shape of `scripts/lib/deployVault.ts`, the production deploy function. It is loaded at run time by path:
 * its typechain contract types use namespaces, which the agent's type check (erasable syntax only) rejects.
 */
type DeployVault = (
  ethers: unknown,
  parameters: { admin: string; oracles: readonly string[]; threshold: number; withMockUsdc?: boolean },
) => Promise<{
  vault: { getAddress(): Promise<string> };
  usdc?: { getAddress(): Promise<string> };
  deploymentBlock: number;
}>;

/** The shape of `scripts/lib/deployChallengePool.ts` (loaded by path, like `deployVault`). */
type DeployChallengePool = (
  ethers: unknown,
  parameters: { vault: string; admin: string },
) => Promise<{ pool: { getAddress(): Promise<string> }; deploymentBlock: number }>;

const DEPLOY_CHALLENGE_POOL_MODULE = pathToFileURL(
  path.join(ROOT, "scripts/lib/deployChallengePool.ts"),
).href;

const DEPLOY_VAULT_MODULE = pathToFileURL(path.join(ROOT, "scripts/lib/deployVault.ts")).href;

let runtime: Promise<HardhatRuntimeEnvironment> | undefined;

/**
 * One Hardhat runtime per process (loading it is the slow part); chains are created from it per suite. The root
 * config, with hardhat-ethers as its only plugin: the toolbox's chai matchers would patch chai for every other
 * test in the process (its `closeTo` and `within` reject non-integers).
 */
function hardhatRuntime(): Promise<HardhatRuntimeEnvironment> {
  runtime ??= (async () => {
    const userConfig = await importUserConfig(CONFIG_PATH);
    return createHardhatRuntimeEnvironment(
      { ...userConfig, plugins: [hardhatEthers] },
      { config: CONFIG_PATH },
      ROOT,
    );
  })();
  return runtime;
}

/** A Hardhat default account as a viem local account, with its private key (for code that signs itself). */
export type TestAccount = PrivateKeyAccount & { privateKey: Hex };

function defaultAccount(index: number): TestAccount {
  const key = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (key === null) throw new Error(`no private key for Hardhat account ${index}`);
  const privateKey = toHex(key);
  return Object.assign(privateKeyToAccount(privateKey), { privateKey });
}

export interface TestAccounts {
  /** Deployer, DEFAULT_ADMIN_ROLE and GUARDIAN_ROLE. */
  admin: TestAccount;
  /** The vault's oracles (3), ascending by address. */
  oracles: TestAccount[];
  /** Pays for keeper and relayer transactions. */
  operator: TestAccount;
  /** A second operator (a competing keeper or relayer). */
  operator2: TestAccount;
  alice: TestAccount;
  bob: TestAccount;
  /** Receives slashed shares. */
  beneficiary: TestAccount;
  stranger: TestAccount;
}

export interface CommitmentOptions {
  owner?: TestAccount;
  /** Wei (ETH) or 6-decimal units (USDC). Default 3 ETH / 300 USDC. */
  amount?: bigint;
  /** Unix seconds; default: 60 s after the latest block. */
  start?: number;
  /** Seconds; default 1 hour (the vault's minimum). */
  period?: number;
  /** Default 3. */
  milestones?: number;
  /** Seconds; default 10 minutes. */
  grace?: number;
  beneficiary?: Address;
  rulesHash?: Hex;
}

export interface AttestOptions {
  commitmentId: bigint;
  milestoneIndex: number;
  evidenceHash?: Hex;
  /** Unix seconds. */
  validUntil: number;
  /** Which oracles sign; default the first `threshold` (2). */
  signers?: TestAccount[];
}

export interface HardhatChain {
  readonly chainId: number;
  readonly chain: Chain;
  /** The EIP-1193 provider of the in-process chain. */
  readonly provider: { request: EIP1193RequestFn };
  /** A viem transport over the provider; `wrap` sees (and may replace) every request, e.g. to fail some. */
  transport(wrap?: (request: EIP1193RequestFn) => EIP1193RequestFn): CustomTransport;
  readonly client: PublicClient<Transport, Chain>;
  readonly accounts: TestAccounts;
  readonly vault: Address;
  readonly usdc: Address;
  /** Multicall3 at its canonical address (installed as `scripts/deploy.ts` does on local chains). */
  readonly multicall3: Address;
  readonly deploymentBlock: number;
  /** Oracle signatures a claim needs. */
  readonly threshold: number;
  wallet(account: TestAccount): WalletClient<Transport, Chain, TestAccount>;
  snapshot(): Promise<Hex>;
  /** Back to a snapshot (consumed: take a new one to revert there again). */
  revert(snapshotId: Hex): Promise<void>;
  /** Moves the chain's time forward and mines a block at the new time. */
  increaseTime(seconds: number): Promise<void>;
  mine(blocks?: number): Promise<void>;
  setAutomine(enabled: boolean): Promise<void>;
  blockNumber(): Promise<number>;
  latestTimestamp(): Promise<number>;
  createEthCommitment(options?: CommitmentOptions): Promise<bigint>;
  createUsdcCommitment(options?: CommitmentOptions): Promise<bigint>;
  /** Threshold oracle signatures over a milestone attestation, signers ascending (as the vault wants). */
  attest(options: AttestOptions): Promise<Hex[]>;
  /** Claims a milestone directly (not through the relayer), signed by the owner's wallet. */
  claim(options: AttestOptions & { from: TestAccount }): Promise<Hex>;
  /** Slashes a milestone directly (anyone may), from `from`. */
  slash(commitmentId: bigint, milestoneIndex: number, from: TestAccount): Promise<Hex>;
  /**
   * The owner appeals a milestone (v2), posting `appealBond`: as ETH value, or (USDC) minted and approved first.
   * Answers the bond.
   */
  appeal(commitmentId: bigint, milestoneIndex: number, from: TestAccount): Promise<bigint>;
  ethBalance(address: Address): Promise<bigint>;
  /** Deploys a ChallengePool over the vault (admin: the admin account), as `scripts/deploy.ts` does. */
  deployChallengePool(): Promise<{ pool: Address; deploymentBlock: number }>;
  credits(account: Address, token: Address): Promise<bigint>;
  close(): Promise<void>;
}

export const DEFAULT_RULES_HASH: Hex = keccak256(toHex("rules: 3 runs of 30 minutes per week"));
export const DEFAULT_EVIDENCE_HASH: Hex = keccak256(toHex("evidence"));
export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

/** Opens a fresh in-process chain and deploys the vault (3 oracles, threshold 2) and a mock USDC. */
export async function createHardhatChain(): Promise<HardhatChain> {
  const hre = await hardhatRuntime();
  const connection = await hre.network.create();
  const ethereum = connection.provider;
  // Bound: the provider's `request` uses private fields, so it cannot be called detached.
  const provider = { request: ethereum.request.bind(ethereum) as unknown as EIP1193RequestFn };
  const rpc = (method: string, params: unknown[] = []) => ethereum.request({ method, params });

  const oracles = [1, 2, 3]
    .map(defaultAccount)
    .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const accounts: TestAccounts = {
    admin: defaultAccount(0),
    oracles,
    operator: defaultAccount(4),
    operator2: defaultAccount(8),
    alice: defaultAccount(5),
    bob: defaultAccount(6),
    beneficiary: defaultAccount(7),
    stranger: defaultAccount(9),
  };
  const threshold = 2;

  let deployed: Awaited<ReturnType<DeployVault>>;
  try {
    const { deployVault } = (await import(DEPLOY_VAULT_MODULE)) as { deployVault: DeployVault };
    deployed = await deployVault(connection.ethers, {
      admin: accounts.admin.address,
      oracles: oracles.map((o) => o.address),
      threshold,
      withMockUsdc: true,
    });
  } catch (error) {
    await connection.close();
    throw new Error(
      "Deploying the vault on the in-process chain failed. Are the artifacts built? Run " +
        "`npx hardhat build --quiet` from the repository root.",
      { cause: error },
    );
  }
  const vault = (await deployed.vault.getAddress()) as Address;
  if (deployed.usdc === undefined) throw new Error("deployVault did not deploy the mock USDC");
  const usdc = (await deployed.usdc.getAddress()) as Address;
  await installMulticall3(provider);

  const transport = (wrap?: (request: EIP1193RequestFn) => EIP1193RequestFn) =>
    // No retries: EDR's reverts reach viem as "unknown" errors, which it would otherwise retry with backoff.
    custom({ request: wrap === undefined ? provider.request : wrap(provider.request) }, { retryCount: 0 });
  const chain: Chain = hardhat;
  const client = createPublicClient({ chain, transport: transport() });
  const wallet = (account: TestAccount) => createWalletClient({ account, chain, transport: transport() });

  const latestTimestamp = async () => Number((await client.getBlock({ blockTag: "latest" })).timestamp);

  const mined = async (hash: Hex) => {
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 1, timeout: 10_000 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };

  const commitmentParams = async (options: CommitmentOptions, defaultAmount: bigint, token: Address) => ({
    token,
    amount: options.amount ?? defaultAmount,
    // The pending block's time, not the latest block's: after a revert the chain's clock is ahead of it.
    start: BigInt(options.start ?? Number((await client.getBlock({ blockTag: "pending" })).timestamp) + 60),
    period: options.period ?? 3_600,
    milestones: options.milestones ?? 3,
    grace: options.grace ?? 600,
    beneficiary: options.beneficiary ?? accounts.beneficiary.address,
    rulesHash: options.rulesHash ?? DEFAULT_RULES_HASH,
  });

  const createdId = (receipt: Awaited<ReturnType<typeof mined>>): bigint => {
    const [created] = parseEventLogs({
      abi: commitmentVaultAbi,
      logs: receipt.logs,
      eventName: "CommitmentCreated",
    });
    if (created === undefined) throw new Error("no CommitmentCreated event");
    return created.args.id;
  };

  const attest = async (options: AttestOptions): Promise<Hex[]> => {
    const commitment = await client.readContract({
      address: vault,
      abi: commitmentVaultAbi,
      functionName: "getCommitment",
      args: [options.commitmentId],
    });
    const typedData = milestoneAttestationTypedData({
      chainId: chain.id,
      vault,
      commitmentId: options.commitmentId,
      milestoneIndex: BigInt(options.milestoneIndex),
      rulesHash: commitment.rulesHash,
      evidenceHash: options.evidenceHash ?? DEFAULT_EVIDENCE_HASH,
      validUntil: BigInt(options.validUntil),
    });
    const signers = [...(options.signers ?? oracles.slice(0, threshold))].sort((a, b) =>
      BigInt(a.address) < BigInt(b.address) ? -1 : 1,
    );
    return Promise.all(signers.map((signer) => signer.signTypedData(typedData)));
  };

  return {
    chainId: chain.id,
    chain,
    provider,
    transport,
    client,
    accounts,
    vault,
    usdc,
    multicall3: MULTICALL3_ADDRESS,
    deploymentBlock: deployed.deploymentBlock,
    threshold,
    wallet,
    snapshot: async () => (await rpc("evm_snapshot")) as Hex,
    revert: async (snapshotId) => {
      if ((await rpc("evm_revert", [snapshotId])) !== true)
        throw new Error(`evm_revert ${snapshotId} failed`);
    },
    increaseTime: async (seconds) => {
      await rpc("evm_increaseTime", [seconds]);
      await rpc("evm_mine");
    },
    mine: async (blocks = 1) => {
      await rpc("hardhat_mine", [toHex(blocks)]);
    },
    setAutomine: async (enabled) => {
      await rpc("evm_setAutomine", [enabled]);
    },
    blockNumber: async () => Number(await client.getBlockNumber({ cacheTime: 0 })),
    latestTimestamp,
    createEthCommitment: async (options = {}) => {
      const owner = options.owner ?? accounts.alice;
      const params = await commitmentParams(options, 3n * 10n ** 18n, ZERO_ADDRESS);
      const hash = await wallet(owner).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "createCommitment",
        args: [params],
        value: params.amount,
      });
      return createdId(await mined(hash));
    },
    createUsdcCommitment: async (options = {}) => {
      const owner = options.owner ?? accounts.alice;
      const params = await commitmentParams(options, 300_000_000n, usdc);
      const ownerWallet = wallet(owner);
      await mined(
        await ownerWallet.writeContract({
          address: usdc,
          abi: mockERC20PermitAbi,
          functionName: "mint",
          args: [owner.address, params.amount],
        }),
      );
      await mined(
        await ownerWallet.writeContract({
          address: usdc,
          abi: mockERC20PermitAbi,
          functionName: "approve",
          args: [vault, params.amount],
        }),
      );
      const hash = await ownerWallet.writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "createCommitment",
        args: [params],
      });
      return createdId(await mined(hash));
    },
    attest,
    claim: async (options) => {
      const signatures = await attest(options);
      const hash = await wallet(options.from).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "claimMilestone",
        args: [
          options.commitmentId,
          BigInt(options.milestoneIndex),
          options.evidenceHash ?? DEFAULT_EVIDENCE_HASH,
          BigInt(options.validUntil),
          signatures,
        ],
      });
      await mined(hash);
      return hash;
    },
    slash: async (commitmentId, milestoneIndex, from) => {
      const hash = await wallet(from).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "slash",
        args: [commitmentId, BigInt(milestoneIndex)],
      });
      await mined(hash);
      return hash;
    },
    appeal: async (commitmentId, milestoneIndex, from) => {
      const bond = await client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "appealBond",
        args: [commitmentId, BigInt(milestoneIndex)],
      });
      const { token } = await client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "getCommitment",
        args: [commitmentId],
      });
      const ownerWallet = wallet(from);
      if (token !== ZERO_ADDRESS) {
        for (const [functionName, args] of [
          ["mint", [from.address, bond]],
          ["approve", [vault, bond]],
        ] as const) {
          await mined(
            await ownerWallet.writeContract({ address: token, abi: mockERC20PermitAbi, functionName, args }),
          );
        }
      }
      await mined(
        await ownerWallet.writeContract({
          address: vault,
          abi: commitmentVaultAbi,
          functionName: "appeal",
          args: [commitmentId, BigInt(milestoneIndex)],
          value: token === ZERO_ADDRESS ? bond : 0n,
        }),
      );
      return bond;
    },
    ethBalance: (address) => client.getBalance({ address }),
    deployChallengePool: async () => {
      const { deployChallengePool } = (await import(DEPLOY_CHALLENGE_POOL_MODULE)) as {
        deployChallengePool: DeployChallengePool;
      };
      const deployedPool = await deployChallengePool(connection.ethers, {
        vault,
        admin: accounts.admin.address,
      });
      return {
        pool: getAddress(await deployedPool.pool.getAddress()),
        deploymentBlock: deployedPool.deploymentBlock,
      };
    },
    credits: (account, token) =>
      client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "credits",
        args: [account, token],
      }),
    close: () => connection.close(),
  };
}

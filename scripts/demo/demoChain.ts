/**
 * The demo's chain: a fresh Hardhat node on a free port, the vault and an allowlisted mock USDC deployed by
 * `scripts/lib/deployVault.ts` (the deploy the tests and `npm run deploy` use), then the ChallengePool by
 * `scripts/lib/deployChallengePool.ts` (after the vault, so the vault's address does not move), viem clients for the people in
 * the story, and time travel. Nothing is written to `deployments/`: the chain is thrown away afterwards.
 */
import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PrivateKeyAccount,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { mockERC20PermitAbi } from "../../deployments/abi.ts";
import { deployLocal } from "../lib/deployLocal.ts";
import { freePort, spawnHardhatNode } from "../lib/localChain.ts";
import type { Cleanup } from "./cleanup.ts";

/** Hardhat's development mnemonic: public knowledge, its accounts hold 10,000 ETH on a local chain only. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export interface DemoAccount {
  name: string;
  /** Which Hardhat development account it is. */
  index: number;
  address: Address;
  privateKey: Hex;
  account: PrivateKeyAccount;
}

function developmentAccount(name: string, index: number): DemoAccount {
  const key = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (key === null) throw new Error(`no private key for Hardhat account #${index}`);
  const privateKey = toHex(key);
  const account = privateKeyToAccount(privateKey);
  return { name, index, address: account.address, privateKey, account };
}

/** The cast. #1 is the oracle and #3 the agent's operator, as in `npm start`. */
export function demoAccounts() {
  return {
    deployer: developmentAccount("Deployer", 0),
    oracle: developmentAccount("Oracle", 1),
    alice: developmentAccount("Alice", 2),
    operator: developmentAccount("Operator", 3),
    bob: developmentAccount("Bob", 4),
    charity: developmentAccount("Charity", 5),
    // The challenge pool's people (scripts/demo/poolChapter.ts).
    carol: developmentAccount("Carol", 6),
    dave: developmentAccount("Dave", 7),
    erin: developmentAccount("Erin", 8),
    frank: developmentAccount("Frank", 9),
    host: developmentAccount("Host", 10),
  };
}

export type DemoAccounts = ReturnType<typeof demoAccounts>;

/** A mined, successful transaction. */
export interface MinedTransaction {
  hash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
  /** gasUsed × effectiveGasPrice, wei. */
  fee: bigint;
  receipt: TransactionReceipt;
}

export interface DemoChain {
  rpcUrl: string;
  chainId: number;
  client: PublicClient<Transport, Chain>;
  accounts: DemoAccounts;
  vault: Address;
  usdc: Address;
  deploymentBlock: number;
  /** The ChallengePool over the vault. */
  pool: Address;
  poolDeploymentBlock: number;
  wallet(who: DemoAccount): WalletClient<Transport, Chain, PrivateKeyAccount>;
  /** The latest block's timestamp, Unix seconds. */
  latestTimestamp(): Promise<number>;
  /** Mines a block at exactly `timestamp` (Unix seconds, later than the latest block). */
  travelTo(timestamp: number): Promise<void>;
  /** Waits for the receipt; throws when the transaction reverted. */
  mined(hash: Hex): Promise<MinedTransaction>;
  /** ETH (token undefined) or ERC-20 balance. */
  balanceOf(address: Address, token?: Address): Promise<bigint>;
}

/** Starts the node (its stop registered with `cleanup` at once) and deploys. */
export async function startDemoChain(cleanup: Cleanup): Promise<DemoChain> {
  const node = await spawnHardhatNode({ port: await freePort() });
  cleanup.defer("chain", node.stop);
  await node.ready();
  const accounts = demoAccounts();
  const deployed = await deployLocal(node.rpcUrl, {
    admin: accounts.deployer.address,
    oracle: accounts.oracle.address,
  });
  const transport = http(node.rpcUrl, { retryCount: 0 });
  const client = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 });
  const test = createTestClient({ chain: hardhat, mode: "hardhat", transport });
  const latestTimestamp = async () => Number((await client.getBlock({ blockTag: "latest" })).timestamp);
  return {
    rpcUrl: node.rpcUrl,
    chainId: hardhat.id,
    client,
    accounts,
    ...deployed,
    wallet: (who) => createWalletClient({ account: who.account, chain: hardhat, transport }),
    latestTimestamp,
    async travelTo(timestamp) {
      await test.setNextBlockTimestamp({ timestamp: BigInt(timestamp) });
      await test.mine({ blocks: 1 });
    },
    async mined(hash) {
      const receipt = await client.waitForTransactionReceipt({ hash, timeout: 30_000 });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      return {
        hash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
        fee: receipt.gasUsed * receipt.effectiveGasPrice,
        receipt,
      };
    },
    balanceOf: (address, token) =>
      token === undefined
        ? client.getBalance({ address })
        : client.readContract({
            address: token,
            abi: mockERC20PermitAbi,
            functionName: "balanceOf",
            args: [address],
          }),
  };
}

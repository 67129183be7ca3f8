import { createRequire } from "node:module";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * solc comes from the pinned `solc` npm package (its WASM build), never from a download:
 * `version` must equal that package's version exactly (see docs/toolchain.md).
 */
const SOLC_VERSION = "0.8.30";

/**
 * The chain id of the `custom` network, when given: Hardhat then refuses an RPC that serves another chain. Not a
 * secret, so a plain environment variable (configuration variables only fit strings such as URLs and keys).
 */
function customChainId(): number | undefined {
  const raw = process.env.CUSTOM_CHAIN_ID;
  if (raw === undefined || raw === "") return undefined;
  if (!/^[1-9]\d{0,15}$/.test(raw)) {
    throw new Error(`CUSTOM_CHAIN_ID must be a positive decimal chain id, got "${raw}"`);
  }
  return Number(raw);
}

function customChainType(): "l1" | "op" | "generic" {
  const raw = process.env.CUSTOM_CHAIN_TYPE ?? "generic";
  if (raw !== "l1" && raw !== "op" && raw !== "generic") {
    throw new Error(`CUSTOM_CHAIN_TYPE must be l1, op or generic, got "${raw}"`);
  }
  return raw;
}

const CUSTOM_CHAIN_ID = customChainId();

/**
 * The one compiler configuration. Hardhat 3 builds with the `default` profile (tests, `hardhat run`, the deploy)
 * and hardhat-verify rebuilds the source it submits with the `production` profile, whose built-in settings
 * differ (200 optimizer runs): both profiles get the same settings here, so a verified source reproduces the
 * deployed bytecode exactly.
 */
const compiler = {
  version: SOLC_VERSION,
  path: require.resolve("solc/soljson.js"),
  settings: {
    evmVersion: "prague",
    optimizer: { enabled: true, runs: 10_000 },
    outputSelection: { "*": { "*": ["storageLayout"] } },
  },
};

/**
 * Secrets (RPC URLs with API keys, the deployer key, the explorer key) are configuration variables: Hardhat reads
 * each one only when a task needs it, from the environment first, else from hardhat-keystore
 * (`npx hardhat keystore set NAME`). The toolbox already depends on hardhat-keystore and hardhat-verify; they are
 * listed here too because scripts/verify.ts imports hardhat-verify directly.
 */
export default defineConfig({
  plugins: [hardhatToolboxMochaEthers, hardhatKeystore, hardhatVerify],
  solidity: {
    profiles: {
      default: compiler,
      production: { ...compiler, isolated: true },
    },
  },
  test: {
    solidity: {
      // Deterministic: the same seed every run, so a fuzz failure reproduces.
      fuzz: { runs: 1_000, seed: "0x5265736f6c7574696f6e4175746f70696c6f74" },
    },
  },
  networks: {
    // A local node (`npx hardhat node`, `npm start`): its unlocked development accounts sign.
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      chainId: 11155111,
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    baseSepolia: {
      type: "http",
      chainType: "op",
      chainId: 84532,
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    // Any other JSON-RPC endpoint (another testnet or L2, a rehearsal node): CUSTOM_RPC_URL, and optionally
    // CUSTOM_CHAIN_ID (checked against the RPC) and CUSTOM_CHAIN_TYPE (l1, op or generic).
    custom: {
      type: "http",
      chainType: customChainType(),
      ...(CUSTOM_CHAIN_ID !== undefined ? { chainId: CUSTOM_CHAIN_ID } : {}),
      url: configVariable("CUSTOM_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
});

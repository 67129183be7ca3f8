/**
 * Verifies the source of what `npm run deploy` deployed on a network, from deployments/<network>.json: the vault
 * (and the mock USDC when that deploy created one), with the constructor arguments the record kept.
 *
 *   npm run verify -- --network sepolia
 *   VERIFY_PROVIDERS=sourcify npm run verify -- --network baseSepolia
 *   VERIFY_DRY_RUN=true npm run verify -- --network sepolia     (print the requests, contact nothing)
 *
 * Configuration variables (the environment, else hardhat-keystore): ETHERSCAN_API_KEY (one Etherscan API v2 key
 * serves every chain Etherscan indexes; needed when Etherscan is among the explorers) and the network's RPC URL.
 * Environment:
 *   VERIFY_PROVIDERS  comma-separated explorers: etherscan, blockscout, sourcify (default "etherscan,sourcify")
 *   VERIFY_DRY_RUN    "true": check the record and the key, print what would be submitted, stop
 *   DEPLOYMENTS_DIR   where <network>.json is read from (default deployments/)
 *
 * A contract that is already verified counts as done. Exits 1 naming what failed.
 */
import { join } from "node:path";
import { verifyContract } from "@nomicfoundation/hardhat-verify/verify";
import { LOCAL_CHAIN_ID } from "@resolution-autopilot/vocabulary/chains";
import hre from "hardhat";
import { verificationProviders, verificationRequests } from "./lib/verification.ts";
import { deploymentsDir, readDeployment } from "./lib/writeDeployment.ts";

function fail(message: string): never {
  console.error(`verify: ${message}`);
  process.exit(1);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const networkName = hre.globalOptions.network;
if (networkName === undefined || networkName === "" || networkName === "default") {
  fail("name the network the contracts are on: npm run verify -- --network <name>");
}

let providers: ReturnType<typeof verificationProviders>;
try {
  providers = verificationProviders(process.env.VERIFY_PROVIDERS);
} catch (error) {
  fail(messageOf(error));
}

const file = join(deploymentsDir(process.cwd()), `${networkName}.json`);
let record: Awaited<ReturnType<typeof readDeployment>>;
try {
  record = await readDeployment(file);
} catch (error) {
  fail(messageOf(error));
}
if (record.network !== networkName) {
  fail(`${file} records network "${record.network}", not "${networkName}"`);
}
if (record.chainId === LOCAL_CHAIN_ID) {
  fail(`${file} is a deployment on the local chain (${LOCAL_CHAIN_ID}): no explorer indexes it`);
}

if (providers.includes("etherscan")) {
  try {
    await hre.config.verify.etherscan.apiKey.get();
  } catch {
    fail(
      "ETHERSCAN_API_KEY is not set: export it or store it with `npx hardhat keystore set ETHERSCAN_API_KEY` " +
        "(or leave Etherscan out: VERIFY_PROVIDERS=sourcify)",
    );
  }
}

const requests = verificationRequests(record);
if (process.env.VERIFY_DRY_RUN === "true") {
  console.log(
    JSON.stringify({ network: networkName, chainId: record.chainId, providers, requests }, null, 2),
  );
  process.exit(0);
}

// The RPC must serve the chain the record is for, or the explorer would be asked about the wrong contract.
const connection = await hre.network.getOrCreate();
const served = Number(await connection.provider.request({ method: "eth_chainId", params: [] }));
if (served !== record.chainId) {
  fail(
    `the RPC of network ${networkName} serves chain ${served}, but ${file} is for chain ${record.chainId}`,
  );
}

const failures: string[] = [];
for (const provider of providers) {
  for (const request of requests) {
    console.log(`\n${provider}: ${request.label} at ${request.address}`);
    try {
      await verifyContract(
        {
          address: request.address,
          contract: request.contract,
          constructorArgs: request.constructorArgs,
          provider,
          ...(provider === "sourcify" && request.address === record.vault.address
            ? { creationTxHash: record.vault.transactionHash }
            : {}),
        },
        hre,
      );
    } catch (error) {
      failures.push(`${provider}: ${request.label}: ${messageOf(error)}`);
      console.error(`  failed: ${messageOf(error)}`);
    }
  }
}
if (failures.length > 0) fail(`${failures.length} verification(s) failed:\n- ${failures.join("\n- ")}`);
console.log(
  `\nverified ${requests.length} contract(s) on ${providers.join(", ")} (${networkName}, chain ${record.chainId})`,
);

/**
 * `npm start`: the whole product on one machine. A local chain (Hardhat node on 127.0.0.1:$CHAIN_PORT, default
 * 8545, chain id 31337) with the vault and an allowlisted mock USDC deployed; the agent (oracle, indexer,
 * keeper, coach) on its embedded defaults at 127.0.0.1:$AGENT_PORT (default 8787; its metrics and deep health on
 * the internal listener 127.0.0.1:$AGENT_INTERNAL_PORT, default AGENT_PORT + 1) with a fresh store under
 * data/local-chain (the chain is fresh each run, so its cache must be too); the web app (Vite dev server) at
 * 127.0.0.1:$WEB_PORT (default 5173) pointed at both; then the URLs and two funded local accounts. Ctrl-C
 * stops everything; running it again works.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { z } from "zod";
import { Closer } from "../agent/src/lifecycle/closer.ts";
import { rpcAnswers } from "./lib/localChain.ts";

const port = z.coerce.number().int().min(1).max(65535);
const env = z
  .object({
    CHAIN_PORT: port.default(8545),
    AGENT_PORT: port.default(8787),
    AGENT_INTERNAL_PORT: port.optional(),
    WEB_PORT: port.default(5173),
  })
  .safeParse(process.env);
if (!env.success) {
  const issue = env.error.issues[0];
  console.error(`start: invalid ${String(issue?.path[0])}: ${issue?.message}`);
  process.exit(1);
}
const { CHAIN_PORT: chainPort, AGENT_PORT: agentPort, WEB_PORT: webPort } = env.data;
const agentInternalPort = env.data.AGENT_INTERNAL_PORT ?? agentPort + 1;
const rpcUrl = `http://127.0.0.1:${chainPort}`;
const agentUrl = `http://127.0.0.1:${agentPort}`;
const agentInternalUrl = `http://127.0.0.1:${agentInternalPort}`;
const webUrl = `http://127.0.0.1:${webPort}`;
// The agent's store for this run (wiped at start); tests point it at a temporary directory.
const AGENT_DATA_DIR = process.env.START_DATA_DIR ?? "data/local-chain";

// Hardhat's well-known development accounts: public knowledge, never use them outside a local chain.
const LOCAL_ACCOUNTS = [
  {
    label: "account #0 (deployer, admin)",
    address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    key: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  },
  {
    label: "account #2 (staker)",
    address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    key: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  },
];

// Hardhat account #1 is the local oracle (deploy.ts's default) and #3 the agent's operator (keeper gas).
const LOCAL_ORACLE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const LOCAL_OPERATOR_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

async function answers(url: string, init?: RequestInit): Promise<boolean> {
  try {
    return (await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

if (await rpcAnswers(rpcUrl)) {
  console.error(`start: something already answers on ${rpcUrl}; stop it or set CHAIN_PORT`);
  process.exit(1);
}
if (await answers(`${agentUrl}/health`)) {
  console.error(`start: something already answers on ${agentUrl}; stop it or set AGENT_PORT`);
  process.exit(1);
}
if (await answers(webUrl)) {
  console.error(`start: something already answers on ${webUrl}; stop it or set WEB_PORT`);
  process.exit(1);
}

// The agent first (it stops following the chain), then the rest; each runs in its own process group.
const closer = new Closer({
  onError: (name, error) =>
    console.error(
      `start: stopping the ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
    ),
});
let exiting: Promise<never> | undefined;
/** Stops every child (newest first) and exits; never returns. */
function stop(code: number): Promise<never> {
  exiting ??= closer.close().then(() => process.exit(code));
  return exiting;
}
function terminateGroup(child: ChildProcess): void {
  if (!child.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}
function launch(
  name: string,
  command: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  cwd?: string,
): ChildProcess {
  const child = spawn(command, args, {
    cwd,
    stdio: ["ignore", name === "agent" ? "pipe" : "ignore", "inherit"],
    detached: true,
    env: { ...process.env, ...extraEnv },
  });
  closer.add(name, () => terminateGroup(child));
  child.on("exit", (code) => {
    if (!closer.closing) {
      console.error(`start: the ${name} exited (code ${code})`);
      void stop(1);
    }
  });
  return child;
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

launch("chain", "npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(chainPort)]);

const deadline = Date.now() + 60_000;
while (!(await rpcAnswers(rpcUrl))) {
  if (Date.now() > deadline) {
    console.error(`start: the chain did not answer on ${rpcUrl} within 60 s`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

const deploy = spawnSync("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
  encoding: "utf8",
  env: { ...process.env, LOCALHOST_RPC_URL: rpcUrl },
});
if (deploy.status !== 0) {
  process.stderr.write(deploy.stdout + deploy.stderr);
  await stop(1);
}
const record = JSON.parse(readFileSync("deployments/localhost.json", "utf8")) as {
  vault: { address: string; deploymentBlock: number };
  challengePool?: { address: string; deploymentBlock: number };
  tokens: { symbol: string; address: string; decimals: number }[];
};

rmSync(AGENT_DATA_DIR, { recursive: true, force: true });
const agent = launch("agent", process.execPath, ["agent/src/main.ts"], {
  PORT: String(agentPort),
  INTERNAL_PORT: String(agentInternalPort),
  PUBLIC_ORIGIN: webUrl,
  CHAIN_ID: "31337",
  RPC_URL: rpcUrl,
  VAULT_ADDRESS: record.vault.address,
  VAULT_DEPLOYMENT_BLOCK: String(record.vault.deploymentBlock),
  // The pool GET /api/challenges serves (followed by the agent's challenge indexer).
  ...(record.challengePool === undefined
    ? {}
    : {
        CHALLENGE_POOL_ADDRESS: record.challengePool.address,
        CHALLENGE_POOL_DEPLOYMENT_BLOCK: String(record.challengePool.deploymentBlock),
      }),
  ORACLE_PRIVATE_KEY: LOCAL_ORACLE_KEY,
  OPERATOR_PRIVATE_KEY: LOCAL_OPERATOR_KEY,
  // Gasless claims, and met milestones claimed by the agent itself (docs/operations.md).
  RELAYER_ENABLED: "true",
  DATA_DIR: AGENT_DATA_DIR,
  // The local chain's time can be moved forward (evm_increaseTime): the agent's clock follows it.
  CLOCK_SOURCE: "chain",
  // So the coach names amounts in the mock token ("25 USDC").
  COACH_TOKENS: record.tokens.map((t) => `${t.address}:${t.symbol}:${t.decimals}`).join(","),
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
});
// The agent logs JSON lines (pino); npm start relays its warnings and errors only.
agent.stdout?.on("data", (chunk: Buffer) => {
  for (const line of chunk.toString().split("\n")) {
    if (/"level":(4|5|6)0/.test(line)) process.stderr.write(`agent: ${line}\n`);
  }
});
const agentDeadline = Date.now() + 90_000;
while (!(await answers(`${agentUrl}/health`))) {
  if (Date.now() > agentDeadline) {
    console.error(`start: the agent did not answer on ${agentUrl}/health within 90 s`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

launch(
  "web",
  "npx",
  ["vite", "--host", "127.0.0.1", "--port", String(webPort), "--strictPort"],
  { VITE_AGENT_URL: agentUrl, VITE_RPC_URL_31337: rpcUrl },
  "web",
);
const webDeadline = Date.now() + 90_000;
while (!(await answers(webUrl))) {
  if (Date.now() > webDeadline) {
    console.error(`start: the web app did not answer on ${webUrl} within 90 s`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

console.log(`
Resolution Autopilot — local stack
  web app   ${webUrl}  (connect a wallet on chain 31337 with one of the accounts below)
  chain     ${rpcUrl}  (chain id 31337)
  vault     ${record.vault.address}
${record.challengePool ? `  pool      ${record.challengePool.address}  (ChallengePool)\n` : ""}${record.tokens.map((t) => `  ${t.symbol.padEnd(9)} ${t.address}  (mock, allowlisted)`).join("\n")}
  agent     ${agentUrl}  (health ${agentUrl}/health; oracle + indexer + keeper + coach)
  internal  ${agentInternalUrl}  (metrics ${agentInternalUrl}/metrics, deep health ${agentInternalUrl}/health?deep=1; this machine only)

Funded local accounts (10,000 ETH each). LOCAL ONLY: these keys are public, never fund them on a real chain.
${LOCAL_ACCOUNTS.map((a) => `  ${a.label}\n    address ${a.address}\n    key     ${a.key}`).join("\n")}

Ctrl-C stops everything.`);

/**
 * `npm start`: a local chain (Hardhat node on 127.0.0.1:$CHAIN_PORT, default 8545, chain id 31337) with the
 * vault and an allowlisted mock USDC deployed, then prints the addresses and two funded local accounts.
 * Ctrl-C stops everything. The agent and the web app join this command as they land (see README).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { z } from "zod";

const env = z
  .object({ CHAIN_PORT: z.coerce.number().int().min(1).max(65535).default(8545) })
  .safeParse(process.env);
if (!env.success) {
  console.error(`start: invalid CHAIN_PORT: ${env.error.issues[0]?.message}`);
  process.exit(1);
}
const port = env.data.CHAIN_PORT;
const rpcUrl = `http://127.0.0.1:${port}`;

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

async function rpcReady(): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

if (await rpcReady()) {
  console.error(`start: something already answers on ${rpcUrl}; stop it or set CHAIN_PORT`);
  process.exit(1);
}

const node = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)], {
  stdio: ["ignore", "ignore", "inherit"],
  detached: true,
});
let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  if (node.pid) {
    try {
      process.kill(-node.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
node.on("exit", (code) => {
  if (!stopping) {
    console.error(`start: the chain exited (code ${code})`);
    stop(1);
  }
});

const deadline = Date.now() + 60_000;
while (!(await rpcReady())) {
  if (Date.now() > deadline) {
    console.error(`start: the chain did not answer on ${rpcUrl} within 60 s`);
    stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

const deploy = spawnSync("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
  encoding: "utf8",
  env: { ...process.env, LOCALHOST_RPC_URL: rpcUrl },
});
if (deploy.status !== 0) {
  process.stderr.write(deploy.stdout + deploy.stderr);
  stop(1);
}
const record = JSON.parse(readFileSync("deployments/localhost.json", "utf8")) as {
  vault: { address: string };
  tokens: { symbol: string; address: string }[];
};

console.log(`
Resolution Autopilot — local stack
  chain     ${rpcUrl}  (chain id 31337)
  vault     ${record.vault.address}
${record.tokens.map((t) => `  ${t.symbol.padEnd(9)} ${t.address}  (mock, allowlisted)`).join("\n")}
  agent     not part of npm start yet (the oracle agent is being built)
  web app   not part of npm start yet (the dApp is being built)

Funded local accounts (10,000 ETH each). LOCAL ONLY: these keys are public, never fund them on a real chain.
${LOCAL_ACCOUNTS.map((a) => `  ${a.label}\n    address ${a.address}\n    key     ${a.key}`).join("\n")}

Ctrl-C stops everything.`);

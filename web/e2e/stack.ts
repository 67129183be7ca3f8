/**
 * The local stack the browser tests run against, started from scratch and torn down afterwards: a Hardhat node
 * on a free port with the vault deployed by the project's deploy script, the agent with a temporary DATA_DIR and
 * the local oracle key, and `vite preview` of a build pointed at both. deployments/localhost.json is restored to
 * what it was before (it is the developer's file).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { Closer } from "../../agent/src/lifecycle/closer.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
export const WEB_ROOT = resolve(import.meta.dirname, "..");

/** Hardhat's public development keys: local chains only. */
export const HARDHAT_ACCOUNTS = {
  deployer: { address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" },
  oracle: {
    address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    key: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  },
  staker: { address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
  beneficiary: { address: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" },
} as const;

const deploymentSchema = z.object({
  chainId: z.number(),
  vault: z.object({ address: z.string(), deploymentBlock: z.number() }),
  challengePool: z.object({ address: z.string(), deploymentBlock: z.number() }).optional(),
  tokens: z
    .array(z.object({ address: z.string(), symbol: z.string(), decimals: z.number(), permit: z.boolean() }))
    .default([]),
});

export interface Stack {
  rpcUrl: string;
  agentUrl: string;
  webUrl: string;
  vault: `0x${string}`;
  deploymentBlock: number;
  /** The deployed ChallengePool (the agent follows it only when started with `challengePool: true`). */
  challengePool?: `0x${string}`;
  /** The allowlisted tokens of the deployment (locally: the mock USDC, with permit). */
  tokens?: { address: `0x${string}`; symbol: string; decimals: number; permit: boolean }[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? ok(address.port) : fail(new Error("no port")),
      );
    });
  });
}

/** Polls `check` every 250 ms until it answers true; fails when `child` exits or the time is up. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

/** Runs a command to its end; resolves its output, rejects with it on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) =>
      code === 0 ? ok(output) : fail(new Error(`${command} ${args.join(" ")} failed:\n${output}`)),
    );
  });
}

/** Starts a long-running child in its own process group, keeping its last 400 lines of output in `log`. */
export function startDaemon(
  name: string,
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  log: string[],
) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true });
  const keep = (d: Buffer) => {
    log.push(`[${name}] ${d.toString().trimEnd()}`);
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

/** SIGTERM to the child's process group, SIGKILL after 5 s; nothing when it is not running. */
export function stopDaemon(child: ChildProcess | undefined): Promise<void> {
  return new Promise((ok) => {
    if (child === undefined || child.exitCode !== null || child.pid === undefined) return ok();
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // already gone
      }
      ok();
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      ok();
    });
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      clearTimeout(timer);
      ok();
    }
  });
}

async function rpcAnswers(url: string): Promise<boolean> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  });
  return res.ok;
}

export interface StartStackParameters {
  /** Lines of the children's output, kept for a failure report. */
  log: string[];
  /** Build the web app into this directory (default: a temp dir). */
  outDir?: string;
  /** The agent follows the deployed ChallengePool (CHALLENGE_POOL_ADDRESS); default off. */
  challengePool?: boolean;
  /** More agent environment, e.g. OPERATOR_PRIVATE_KEY to run the keeper and the challenge settler. */
  agentEnv?: Record<string, string>;
}

export async function startStack({
  log,
  outDir,
  challengePool = false,
  agentEnv = {},
}: StartStackParameters): Promise<Stack> {
  const [chainPort, agentPort, webPort] = [await freePort(), await freePort(), await freePort()];
  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), "ra-e2e-agent-"));
  const dist = outDir ?? mkdtempSync(join(tmpdir(), "ra-e2e-web-"));
  const deploymentFile = join(REPO_ROOT, "deployments", "localhost.json");
  const previousDeployment = existsSync(deploymentFile) ? readFileSync(deploymentFile) : undefined;
  const restoreDeployment = () => {
    if (previousDeployment === undefined) rmSync(deploymentFile, { force: true });
    else writeFileSync(deploymentFile, previousDeployment);
  };

  // Newest first: the daemons (web, agent, chain), then the deployment record, the agent's data, the build.
  const closer = new Closer({
    onError: (name, error) =>
      console.error(
        `e2e: closing the ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  });
  if (outDir === undefined) closer.add("web build", () => rmSync(dist, { recursive: true, force: true }));
  closer.add("agent data", () => rmSync(dataDir, { recursive: true, force: true }));
  closer.add("deployment record", restoreDeployment);
  const stop = () => closer.close();

  try {
    const node = startDaemon(
      "chain",
      "npx",
      ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(chainPort)],
      REPO_ROOT,
      {},
      log,
    );
    closer.add("chain", () => stopDaemon(node));
    await waitFor("the Hardhat node", () => rpcAnswers(rpcUrl), 90_000, node);

    await run("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
      cwd: REPO_ROOT,
      env: { LOCALHOST_RPC_URL: rpcUrl },
    });
    const deployment = deploymentSchema.parse(JSON.parse(readFileSync(deploymentFile, "utf8")));

    await run("npx", ["vite", "build", "--outDir", dist, "--emptyOutDir"], {
      cwd: WEB_ROOT,
      env: { VITE_AGENT_URL: agentUrl, VITE_RPC_URL_31337: rpcUrl },
    });
    restoreDeployment();

    const agent = startDaemon(
      "agent",
      "node",
      ["agent/src/main.ts"],
      REPO_ROOT,
      {
        PORT: String(agentPort),
        // Any free port for /metrics and deep health: PORT + 1 may be taken by another stack.
        INTERNAL_PORT: "0",
        HOST: "127.0.0.1",
        PUBLIC_ORIGIN: webUrl,
        DATA_DIR: dataDir,
        CHAIN_ID: "31337",
        RPC_URL: rpcUrl,
        // The tests move the chain's time forward: the agent's clock follows it.
        CLOCK_SOURCE: "chain",
        VAULT_ADDRESS: deployment.vault.address,
        VAULT_DEPLOYMENT_BLOCK: String(deployment.vault.deploymentBlock),
        ORACLE_PRIVATE_KEY: HARDHAT_ACCOUNTS.oracle.key,
        INDEXER_POLL_INTERVAL_MS: "500",
        RATE_LIMIT_API_POINTS: "100000",
        LOG_LEVEL: "warn",
        ...(challengePool && deployment.challengePool
          ? {
              CHALLENGE_POOL_ADDRESS: deployment.challengePool.address,
              CHALLENGE_POOL_DEPLOYMENT_BLOCK: String(deployment.challengePool.deploymentBlock),
            }
          : {}),
        ...agentEnv,
      },
      log,
    );
    closer.add("agent", () => stopDaemon(agent));
    await waitFor("the agent", async () => (await fetch(`${agentUrl}/health`)).ok, 60_000, agent);

    const preview = startDaemon(
      "web",
      "npx",
      ["vite", "preview", "--outDir", dist, "--port", String(webPort), "--strictPort", "--host", "127.0.0.1"],
      WEB_ROOT,
      {},
      log,
    );
    closer.add("web", () => stopDaemon(preview));
    await waitFor("vite preview", async () => (await fetch(webUrl)).ok, 30_000, preview);

    return {
      rpcUrl,
      agentUrl,
      webUrl,
      vault: deployment.vault.address as `0x${string}`,
      deploymentBlock: deployment.vault.deploymentBlock,
      ...(deployment.challengePool
        ? { challengePool: deployment.challengePool.address as `0x${string}` }
        : {}),
      tokens: deployment.tokens.map((t) => ({ ...t, address: t.address as `0x${string}` })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * `startLoadStack()`: the production-shaped stack of the load test (issue 17) on this machine, and the switches of
 * its faults. A Hardhat node behind an RPC gate (rpcGate.ts) with the vault, a mock USDC and the ChallengePool
 * deployed; a private PostgreSQL and a private Redis (never the machine's shared ones); a TCP fault proxy in front of
 * PostgreSQL, Redis and the RPC (tcpProxy.ts); N agent replicas on the same database, Redis, chain and operator key,
 * each reaching its dependencies through the proxies. `close()` removes all of it, also on SIGINT/SIGTERM.
 * The API is described in loadtest/stack/README.md; the faults in docs/reliability.md.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";
import { type AgentReplica, createReplica, type ManagedReplica } from "./agents.ts";
import {
  type ChainAdmin,
  chainAdmin,
  type DeployedContracts,
  deployContracts,
  type KeyedAccount,
  STACK_ACCOUNTS,
  type StackChain,
  startChainNode,
} from "./chain.ts";
import { createFaultControls, type FaultControls } from "./faultControls.ts";
import { type PrivatePostgres, startPrivatePostgres } from "./postgres.ts";
import { killGroupNow, treeRss } from "./processes.ts";
import { type PrivateRedis, startPrivateRedis } from "./redis.ts";
import { type RpcGate, startRpcGate } from "./rpcGate.ts";
import { startProxyHost } from "./proxyHost.ts";
import type { TcpProxy } from "./tcpProxy.ts";

export type { AgentReplica } from "./agents.ts";
export { deepHealth, deepHealthy } from "./agents.ts";
export type { ChainAdmin, KeyedAccount } from "./chain.ts";
export type { FaultControls } from "./faultControls.ts";
export type { ReorgResult } from "./reorg.ts";

export interface LoadStackOptions {
  /** Agent replicas (default 2). */
  replicas?: number;
  /** Progress lines of the stack and its faults. */
  log?: (line: string) => void;
  /** Parent of the stack's temporary directory (default the OS's); the directory is removed by `close()`. */
  workDir?: string;
  /** More environment for every replica; wins over the stack's defaults. */
  agentEnv?: Record<string, string>;
  /** Append each replica's whole output to `<logDir>/agent-N.log` (kept after close); default none. */
  logDir?: string;
  /** Close the stack and exit (130/143) on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

export interface LoadStack {
  chainId: number;
  /** The chain for the load generator, the audit and time travel (through the RPC gate, never faulted). */
  directRpcUrl: string;
  /** The chain through the fault proxy (what the agents use). */
  proxiedRpcUrl: string;
  /** The private PostgreSQL, direct. */
  databaseUrl: string;
  /** The private Redis, direct. */
  redisUrl: string;
  agents: AgentReplica[];
  contracts: {
    vault: Address;
    usdc: Address;
    challengePool?: Address;
    deploymentBlock: number;
    challengePoolDeploymentBlock?: number;
  };
  accounts: { deployer: KeyedAccount; oracle: KeyedAccount; operator: KeyedAccount };
  /** The origin the agents accept (send it as `Origin` on unsafe requests). */
  webOrigin: string;
  faults: FaultControls;
  /** Test-only chain calls that a reorg replays (never call evm_snapshot/evm_revert yourself). */
  chain: ChainAdmin;
  /** Peak resident bytes per process tree (chain, agent-1.., postgres, redis), sampled every second. */
  peakRss(): Record<string, number>;
  /** The current pid of each process tree's root (chain, agent-1.., postgres, redis); undefined when not running. */
  processIds(): Record<string, number | undefined>;
  /** The stack's temporary directory (PostgreSQL's data, Redis's, the replicas' DATA_DIRs); gone after close(). */
  workDir: string;
  close(): Promise<void>;
}

const WEB_ORIGIN = "http://127.0.0.1:5173";

/** One piece of the stack: `close` stops it in order; `kill` is the synchronous last resort when the runner exits. */
interface Closer {
  name: string;
  close: () => Promise<void>;
  kill: () => void;
}

function agentEnvironment(p: {
  rpcUrl: string;
  databaseUrl: string;
  redisUrl: string;
  contracts: DeployedContracts;
}): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    PUBLIC_ORIGIN: WEB_ORIGIN,
    CHAIN_ID: "31337",
    RPC_URL: p.rpcUrl,
    DATABASE_URL: p.databaseUrl,
    REDIS_URL: p.redisUrl,
    VAULT_ADDRESS: p.contracts.vault,
    VAULT_DEPLOYMENT_BLOCK: String(p.contracts.deploymentBlock),
    ...(p.contracts.challengePool === undefined
      ? {}
      : {
          CHALLENGE_POOL_ADDRESS: p.contracts.challengePool,
          CHALLENGE_POOL_DEPLOYMENT_BLOCK: String(p.contracts.challengePoolDeploymentBlock ?? 0),
        }),
    ORACLE_PRIVATE_KEY: STACK_ACCOUNTS.oracle.key,
    OPERATOR_PRIVATE_KEY: STACK_ACCOUNTS.operator.key,
    RELAYER_ENABLED: "true",
    KEEPER_ENABLED: "true",
    KEEPER_INTERVAL_MS: "2000",
    INDEXER_POLL_INTERVAL_MS: "500",
    CLOCK_SOURCE: "chain",
    COACH_PROVIDER: "rules",
    COACH_TOKENS: `${p.contracts.usdc}:USDC:6`,
    // The whole load comes from one IP (127.0.0.1): the per-IP limits would measure the limiter, not the agent.
    RATE_LIMIT_API_POINTS: "1000000",
    RATE_LIMIT_AGENT_POINTS: "1000000",
    RATE_LIMIT_UPLOAD_POINTS: "1000000",
    // LOADTEST_AGENT_LOG_LEVEL=info follows every claim and slash when a run needs explaining.
    LOG_LEVEL: process.env.LOADTEST_AGENT_LOG_LEVEL ?? "warn",
  };
}

export async function startLoadStack(options: LoadStackOptions = {}): Promise<LoadStack> {
  const log = options.log ?? (() => {});
  const replicaCount = options.replicas ?? 2;
  const root = mkdtempSync(join(options.workDir ?? tmpdir(), "ra-loadtest-"));
  // As root, PostgreSQL runs as the `postgres` user and must traverse this directory to reach its own.
  chmodSync(root, 0o711);
  const closers: Closer[] = [];
  let stopSampler = () => {};
  let closing: Promise<void> | undefined;
  /** The dependencies being started: a close() meanwhile (Ctrl-C) waits for them, so none is left running. */
  let starting: Promise<unknown> = Promise.resolve();

  const close = () => {
    closing ??= (async () => {
      stopSampler();
      await starting;
      for (const { name, close: closeOne } of closers.reverse()) {
        try {
          await closeOne();
        } catch (error) {
          log(`stack: closing ${name} failed: ${(error as Error).message}`);
        }
      }
      rmSync(root, { recursive: true, force: true });
      releaseProcess();
      log("stack: closed");
    })();
    return closing;
  };
  const releaseProcess = guardProcess({
    closers,
    root,
    close,
    log,
    handleSignals: options.handleSignals ?? true,
  });

  try {
    log("stack: starting the chain, PostgreSQL and Redis");
    let chain: StackChain | undefined;
    let postgres: PrivatePostgres | undefined;
    let redis: PrivateRedis | undefined;
    const startingAll = Promise.allSettled([
      startChainNode().then(async (c) => {
        chain = c;
        closers.push({ name: "chain", close: () => stopNode(c), kill: () => killGroupNow(c.node.child.pid) });
        await c.node.ready(120_000);
      }),
      startPrivatePostgres(root).then((p) => {
        postgres = p;
        closers.push({ name: "postgres", close: () => p.close(), kill: () => killNow(p.pid()) });
      }),
      startPrivateRedis(root).then((r) => {
        redis = r;
        closers.push({ name: "redis", close: () => r.close(), kill: () => killGroupNow(r.daemon.child.pid) });
      }),
    ]);
    starting = startingAll;
    for (const result of await startingAll) if (result.status === "rejected") throw result.reason;
    const stillWanted = () => {
      if (closing !== undefined) throw new Error("the load stack was closed during its start-up");
    };
    stillWanted();
    if (chain === undefined || postgres === undefined || redis === undefined) throw new Error("unreachable");

    log("stack: deploying the vault, the mock USDC and the ChallengePool");
    const contracts = await deployContracts(chain.nodeUrl);

    stillWanted();
    const gate: RpcGate = await startRpcGate({ host: "127.0.0.1", port: chain.nodePort });
    closers.push({ name: "rpc gate", close: () => gate.close(), kill: () => {} });
    const proxies = await startProxies(
      { postgres: postgres.port, redis: redis.port, rpc: gate.port },
      closers,
    );
    const proxiedRpcUrl = `http://127.0.0.1:${proxies.rpc.port}`;
    const env = {
      ...agentEnvironment({
        rpcUrl: proxiedRpcUrl,
        databaseUrl: `postgres://postgres@127.0.0.1:${proxies.postgres.port}/loadtest`,
        redisUrl: `redis://127.0.0.1:${proxies.redis.port}`,
        contracts,
      }),
      ...options.agentEnv,
    };

    const replicas: ManagedReplica[] = [];
    for (let i = 1; i <= replicaCount; i++) {
      const onExit = (line: string) => log(`stack: ${line}`);
      const replica = await createReplica(`agent-${i}`, env, join(root, "agents"), {
        logDir: options.logDir,
        onExit,
      });
      replicas.push(replica);
      closers.push({
        name: replica.name,
        close: () => replica.stop(),
        kill: () => killGroupNow(replica.pid()),
      });
    }
    stillWanted();
    // All at once (start-up is mostly CPU: module loading): the product's advisory lock has one of them apply
    // the migrations while the others wait for it and find them applied.
    for (const replica of replicas) log(`stack: starting ${replica.name} on ${replica.url}`);
    await Promise.all(replicas.map((replica) => replica.start()));

    const processIds = () => {
      const roots: Record<string, number | undefined> = {
        chain: chain?.node.child.pid,
        postgres: postgres?.pid(),
        redis: redis?.daemon.child.pid,
      };
      for (const replica of replicas) roots[replica.name] = replica.pid();
      return roots;
    };
    const rss = startRssSampler(processIds);
    stopSampler = rss.stop;
    const faults = createFaultControls({ proxies, postgres, replicas, nodeUrl: chain.nodeUrl, gate, log });

    log("stack: ready");
    return {
      chainId: 31337,
      directRpcUrl: gate.url,
      proxiedRpcUrl,
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      agents: replicas.map(publicReplica),
      contracts: {
        vault: contracts.vault,
        usdc: contracts.usdc,
        challengePool: contracts.challengePool,
        deploymentBlock: contracts.deploymentBlock,
        challengePoolDeploymentBlock: contracts.challengePoolDeploymentBlock,
      },
      accounts: { ...STACK_ACCOUNTS },
      webOrigin: WEB_ORIGIN,
      faults,
      chain: chainAdmin(gate.url),
      peakRss: rss.peaks,
      processIds,
      workDir: root,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Closes the stack on SIGINT/SIGTERM (then exits 130/143) and kills its pieces when the process exits without
 * close(). The children run in process groups of their own (and PostgreSQL as a daemon), so they outlive a runner
 * that dies of an uncaught exception or an unhandled rejection (during the start-up too) or calls process.exit();
 * its `exit` event can still kill them, synchronously, and remove the directory. Returns the release of both.
 */
function guardProcess(p: {
  closers: Closer[];
  root: string;
  close: () => Promise<void>;
  log: (line: string) => void;
  handleSignals: boolean;
}): () => void {
  const onSignal = (code: number) => {
    p.log(`stack: signal, closing`);
    void p.close().finally(() => process.exit(code));
  };
  const onExit = () => {
    for (const { kill } of p.closers) kill();
    rmSync(p.root, { recursive: true, force: true });
  };
  const onSigint = () => onSignal(130);
  const onSigterm = () => onSignal(143);
  process.on("exit", onExit);
  if (p.handleSignals) {
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
  }
  return () => {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    process.off("exit", onExit);
  };
}

/** What callers see of a replica (not its start/kill/stop switches: those are the faults'). */
function publicReplica({ name, url, internalUrl, pid, recentLog }: ManagedReplica): AgentReplica {
  return { name, url, internalUrl, pid, recentLog };
}

/**
 * One fault proxy in front of each upstream port, all in a process of their own (`proxyHost.ts`: in this one they
 * stalled with the simulated users' work), registered with the closers.
 */
async function startProxies(
  upstreams: Record<"postgres" | "redis" | "rpc", number>,
  closers: Closer[],
): Promise<Record<"postgres" | "redis" | "rpc", TcpProxy>> {
  const host = await startProxyHost(upstreams);
  closers.push({ name: "fault proxies", close: () => host.close(), kill: () => host.kill() });
  const { postgres, redis, rpc } = host.proxies;
  if (postgres === undefined || redis === undefined || rpc === undefined) {
    throw new Error("the proxy host did not start every proxy");
  }
  return { postgres, redis, rpc };
}

/** Samples the resident memory of each process tree every second and keeps the peaks. */
function startRssSampler(processIds: () => Record<string, number | undefined>) {
  const peaks: Record<string, number> = {};
  const sample = () => {
    for (const [name, bytes] of Object.entries(treeRss(processIds()))) {
      peaks[name] = Math.max(peaks[name] ?? 0, bytes);
    }
  };
  sample();
  const timer = setInterval(sample, 1_000);
  timer.unref();
  return { peaks: () => ({ ...peaks }), stop: () => clearInterval(timer) };
}

/** SIGKILL to one process (PostgreSQL's postmaster: its backends exit when it is gone). */
function killNow(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Stops the Hardhat node's process group (SIGTERM, then SIGKILL for what is left). */
async function stopNode(chain: StackChain): Promise<void> {
  await chain.node.stop();
  const pid = chain.node.child.pid;
  if (pid !== undefined) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // the group is gone
    }
  }
}

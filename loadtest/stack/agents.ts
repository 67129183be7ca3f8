/**
 * The agent replicas of the load stack: `node agent/src/main.ts`, each on its own fixed ports (kept across
 * restarts, so clients' URLs stay valid) with the same database, Redis, RPC, vault and operator key. A replica can
 * be killed (`kill -9` of its process group), restarted, or restarted with its clock skewed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../scripts/lib/localChain.ts";
import { REPO_ROOT } from "./chain.ts";
import { type Daemon, signalGroup, sleep, startDaemon, stopDaemon } from "./processes.ts";

export interface AgentReplica {
  name: string;
  /** Public listener, e.g. http://127.0.0.1:PORT (the same after restarts). */
  url: string;
  /** Internal listener: /metrics and /health?deep=1. */
  internalUrl: string;
  pid(): number | undefined;
  /** The last lines of its output (JSON log lines), for a failure report. */
  recentLog(): string[];
}

export interface ManagedReplica extends AgentReplica {
  /** Starts the process (again) with the clock skewed by `skewMs`; resolves when /health answers 200. */
  start(skewMs?: number): Promise<void>;
  /** SIGKILL to its process group; resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after 10 s. */
  stop(): Promise<void>;
  running(): boolean;
}

const SKEW_PRELOAD = join(REPO_ROOT, "loadtest", "stack", "skewedClock.mjs");

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.ok;
}

/** True when the replica's deep health (database, Redis, RPC, signer) is all green. */
export async function deepHealthy(replica: AgentReplica): Promise<boolean> {
  return (await deepHealth(replica)).ok;
}

/** The replica's deep health, with the names of the checks that failed (or why there was no answer). */
export async function deepHealth(replica: AgentReplica): Promise<{ ok: boolean; failing: string[] }> {
  try {
    const res = await fetch(`${replica.internalUrl}/health?deep=1`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json().catch(() => ({}))) as {
      checks?: Record<string, { status?: string; error?: string }>;
    };
    const failing = Object.entries(body.checks ?? {})
      .filter(([, check]) => check.status !== "ok")
      .map(([name, check]) => `${name}: ${check.error ?? "error"}`);
    return { ok: res.ok, failing: res.ok ? [] : failing.length > 0 ? failing : [`HTTP ${res.status}`] };
  } catch (error) {
    return { ok: false, failing: [`no answer: ${(error as Error).message}`] };
  }
}

export async function createReplica(
  name: string,
  env: Record<string, string>,
  dataRoot: string,
  /** Also append its whole output to `${logDir}/${name}.log`; unexpected exits are reported to `onExit`. */
  extra: { logDir?: string | undefined; onExit?: (line: string) => void } = {},
): Promise<ManagedReplica> {
  const [port, internalPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  const dataDir = join(dataRoot, name);
  mkdirSync(dataDir, { recursive: true });
  let daemon: Daemon | undefined;
  let expectExit = false;
  const lastLog: string[] = [];
  const remember = (d: Daemon | undefined) => {
    if (d === undefined) return;
    lastLog.splice(0, lastLog.length, ...d.recentLog().slice(-200));
  };

  return {
    name,
    url,
    internalUrl,
    pid: () => (daemon?.running() ? daemon.child.pid : undefined),
    recentLog: () => [...lastLog, ...(daemon?.recentLog() ?? [])].slice(-400),
    running: () => daemon?.running() ?? false,
    async start(skewMs = 0) {
      if (daemon?.running()) throw new Error(`${name} is already running`);
      remember(daemon);
      const args = skewMs === 0 ? ["agent/src/main.ts"] : ["--import", SKEW_PRELOAD, "agent/src/main.ts"];
      const started = startDaemon(name, process.execPath, args, {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          ...env,
          PORT: String(port),
          INTERNAL_PORT: String(internalPort),
          DATA_DIR: dataDir,
          LOADTEST_CLOCK_SKEW_MS: String(skewMs),
        },
        ...(extra.logDir === undefined ? {} : { logFile: join(extra.logDir, `${name}.log`) }),
      });
      expectExit = false;
      started.child.once("exit", (code, signal) => {
        if (!expectExit) extra.onExit?.(`${name} exited by itself (code ${code}, signal ${signal})`);
      });
      daemon = started;
      const deadline = Date.now() + 90_000;
      while (!(await answers(`${url}/health`).catch(() => false))) {
        if (!started.running()) {
          throw new Error(`${name} exited during start-up:\n${started.recentLog().slice(-15).join("\n")}`);
        }
        if (Date.now() > deadline) throw new Error(`${name} did not answer /health within 90 s`);
        await sleep(250);
      }
    },
    async kill() {
      expectExit = true;
      if (daemon === undefined) return;
      signalGroup(daemon, "SIGKILL");
      await daemon.exited;
    },
    async stop() {
      expectExit = true;
      if (daemon !== undefined) await stopDaemon(daemon, 10_000);
    },
  };
}

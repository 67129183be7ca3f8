/**
 * A local Hardhat node (chain id 31337) as a child process, for `npm run demo` (a throwaway one on a free port);
 * `rpcAnswers` is also `npm start`'s readiness probe. The node runs in its own process group, so stopping it
 * also stops the `npx` wrapper's child.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** True when `rpcUrl` answers a JSON-RPC `eth_chainId` request. */
export async function rpcAnswers(rpcUrl: string): Promise<boolean> {
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

/** A TCP port that was free on `host` a moment ago (the OS picks it). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export interface SpawnHardhatNodeParameters {
  port: number;
  host?: string;
}

export interface HardhatNode {
  rpcUrl: string;
  child: ChildProcess;
  /** Resolves once the node answers JSON-RPC; throws (and stops it) when it exits or takes longer than `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Stops the node's process group and waits for it to exit (at most 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `npx hardhat node` on host:port without waiting for it: register `stop` with your cleanup first, then
 * await `ready()`, so an interrupt during the node's start-up cannot leave it running.
 */
export async function spawnHardhatNode({
  port,
  host = "127.0.0.1",
}: SpawnHardhatNodeParameters): Promise<HardhatNode> {
  const rpcUrl = `http://${host}:${port}`;
  if (await rpcAnswers(rpcUrl)) throw new Error(`something already answers on ${rpcUrl}`);
  const child = spawn("npx", ["hardhat", "node", "--hostname", host, "--port", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (child.pid !== undefined && running()) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  };
  const ready = async (timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    // Until it answers, and is still ours (a node that lost the port to another process exits).
    while (!(await rpcAnswers(rpcUrl)) || !running()) {
      if (!running() || Date.now() > deadline) {
        await stop();
        const why = running()
          ? `did not answer within ${timeoutMs / 1000} s`
          : `exited with code ${child.exitCode}`;
        throw new Error(
          `the Hardhat node on ${rpcUrl} ${why}${stderr.trim() === "" ? "" : `:\n${stderr.trim()}`}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  return { rpcUrl, child, ready, stop };
}

/**
 * The fault proxies in a process of their own (`startProxyHost`). In the load test's own process they shared
 * its event loop with the simulated users (signing, generating device files): when that loop was busy, Redis
 * answers waited in the proxy past the agents' 1 s command timeout and both replicas answered 503
 * `redis_unavailable` outside any fault window (run 7: 15 answers). Here they only move bytes.
 *
 * Run as a child: `node loadtest/stack/proxyHost.ts '{"redis":6379,...}'`; prints `ready {"redis":<port>,...}`,
 * then reads one command a line on stdin: `down <name>`, `up <name>` (answered `ok <name> <down|up>`); exits
 * when stdin ends (its parent gone) or on `close`.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { startTcpProxy, type TcpProxy } from "./tcpProxy.ts";

const upstreamsSchema = z.record(z.string().regex(/^[a-z]+$/), z.number().int().min(1).max(65_535));

export interface ProxyHost {
  proxies: Record<string, TcpProxy>;
  pid: number | undefined;
  close(): Promise<void>;
  kill(): void;
}

/** Starts the proxies in a child process; resolves once every one listens. */
export async function startProxyHost(upstreams: Record<string, number>): Promise<ProxyHost> {
  const child = spawn(process.execPath, [import.meta.filename, JSON.stringify(upstreams)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // A host that died must not end the runner with an unhandled EPIPE on the next switch (its exit is reported).
  child.stdin.on("error", () => {});
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ports = await new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the proxy host did not start within 30 s")), 30_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      const match = /^ready (.*)$/.exec(line);
      if (match?.[1] === undefined) reject(new Error(`the proxy host said: ${line}`));
      else resolve(upstreamsSchema.parse(JSON.parse(match[1])));
    });
    child.once("exit", (code) => reject(new Error(`the proxy host exited (${code}) before it was ready`)));
  });
  const proxies: Record<string, TcpProxy> = {};
  for (const [name, port] of Object.entries(ports)) {
    let down = false;
    proxies[name] = {
      port,
      isDown: () => down,
      setDown(value) {
        down = value;
        child.stdin.write(`${value ? "down" : "up"} ${name}\n`);
      },
      close: async () => {},
    };
  }
  return {
    proxies,
    pid: child.pid,
    close: async () => {
      if (child.exitCode === null) child.stdin.end("close\n");
      await exited;
    },
    kill: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

async function main(): Promise<void> {
  const upstreams = upstreamsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  const proxies = new Map<string, TcpProxy>();
  for (const [name, port] of Object.entries(upstreams)) {
    proxies.set(name, await startTcpProxy({ host: "127.0.0.1", port }));
  }
  const ports = Object.fromEntries([...proxies].map(([name, proxy]) => [name, proxy.port]));
  process.stdout.write(`ready ${JSON.stringify(ports)}\n`);
  const stop = async () => {
    await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
    process.exit(0);
  };
  const commands = createInterface({ input: process.stdin });
  commands.on("line", (line) => {
    const [verb, name] = line.trim().split(" ");
    if (verb === "close") return void stop();
    const proxy = name === undefined ? undefined : proxies.get(name);
    if (proxy === undefined || (verb !== "down" && verb !== "up")) {
      process.stderr.write(`proxy host: unknown command "${line}"\n`);
      return;
    }
    proxy.setDown(verb === "down");
    process.stdout.write(`ok ${name} ${verb}\n`);
  });
  commands.on("close", () => void stop());
}

if (process.argv[1] === import.meta.filename) await main();

/**
 * The agent process: parse the environment once, wire the real dependencies, listen, and shut down cleanly
 * on SIGTERM/SIGINT. A bad configuration stops startup with one clear line.
 *
 *   node agent/src/main.ts            (from the repository root; see .env.example for every variable)
 */
import { assembleAgent } from "./assembleAgent.ts";
import { systemClock } from "./clock.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { startServer } from "./http/startServer.ts";
import { createLogger } from "./logger.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`agent: invalid configuration: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger({ level: config.logLevel, base: { service: "agent" } });
const agent = await assembleAgent({ config, clock: systemClock, logger });
const server = await startServer({ app: agent.app, config, logger });
logger.info({ url: server.url, oracle: agent.oracle ?? null }, "agent listening");

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  await server.close(10_000);
  await agent.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

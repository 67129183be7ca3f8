/**
 * `npm run demo`: the whole product journey in one command, no browser. A fresh Hardhat node on a free port,
 * the vault and a mock USDC deployed, the agent (oracle, indexer, keeper, coach) in this process with its clock
 * on chain time; then Alice's and Bob's weeks with time travel (scripts/demo/journey.ts), printed as a report:
 * each step, transaction hashes, gas used, balances before and after, and a summary; then a challenge pool's
 * three weeks with four people (scripts/demo/poolChapter.ts), ending in its balances table. Exit code 0 when every
 * step held, 1 (with the failing step named) otherwise. The node, the agent and its temporary store are always
 * removed, on Ctrl-C too.
 *
 * Environment (optional): LOG_LEVEL, the agent's log level (default `warn`; its lines go to standard error).
 */
import { z } from "zod";
import { LOG_LEVELS } from "../agent/src/config.ts";
import { Cleanup } from "./demo/cleanup.ts";
import { ApiStatusError, startDemoAgent } from "./demo/demoAgent.ts";
import { startDemoChain } from "./demo/demoChain.ts";
import { JourneyCheckError } from "./demo/chapter.ts";
import { runJourney } from "./demo/journey.ts";
import { runPoolChapter } from "./demo/poolChapter.ts";
import { Report } from "./demo/report.ts";

const env = z.object({ LOG_LEVEL: z.enum(LOG_LEVELS).default("warn") }).safeParse(process.env);
if (!env.success) {
  console.error(`demo: invalid LOG_LEVEL: must be one of ${LOG_LEVELS.join(", ")}`);
  process.exit(1);
}

const startedAt = performance.now();
const report = new Report();
const cleanup = new Cleanup();

/** 128 + the signal's number, as a shell reports it; undefined while nobody interrupted the demo. */
let interrupted: number | undefined;
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.on(signal, () => {
    interrupted = code;
    console.error(`\ndemo: ${signal}, stopping the chain and the agent`);
    void cleanup.run().finally(() => process.exit(code));
  });
}

let code = 1;
try {
  report.title("Resolution Autopilot: the whole journey on a fresh local chain");
  const chain = await startDemoChain(cleanup);
  const agent = await startDemoAgent({ chain, logLevel: env.data.LOG_LEVEL, cleanup });
  await runJourney({ chain, agent, report });
  await runPoolChapter({ chain, agent, report });
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  report.line();
  report.line(`demo: every step held (${seconds} s). Exit code 0.`);
  code = 0;
} catch (error) {
  // Interrupted, the step under way fails as the chain and the agent go away: that is not news.
  if (interrupted === undefined) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`\ndemo: FAILED at ${report.current}: ${message}`);
    // A check that did not hold says all there is to say; anything else is unexpected: show where it came from.
    const expected = error instanceof JourneyCheckError || error instanceof ApiStatusError;
    if (!expected && error instanceof Error) console.error(error.stack, error.cause ?? "");
  }
} finally {
  await cleanup.run();
}
process.exit(interrupted ?? code);

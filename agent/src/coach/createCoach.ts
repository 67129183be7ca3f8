/**
 * Assembles the coach from configuration: channels (in-app always; email when an SMTP URL is set; webhook
 * when a signing secret is set), the provider (`rules` offline, or `openai-compatible`), the tools, the HTTP
 * router and the scheduler (BullMQ when a Redis client is given, else in-process cron). Nothing starts until
 * `scheduler.start()`.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/store.ts";
import type { CoachProvider } from "./agent/coachMessages.ts";
import { createOpenAiCompatibleProvider } from "./agent/openAiCompatibleProvider.ts";
import { createRulesProvider } from "./agent/rulesProvider.ts";
import type { AgentTurnDependencies } from "./agent/runAgentTurn.ts";
import { createEmailChannel } from "./channels/emailChannel.ts";
import { createInAppChannel } from "./channels/inAppChannel.ts";
import type { NudgeChannels } from "./channels/nudgeChannel.ts";
import { createWebhookChannel } from "./channels/webhookChannel.ts";
import type { CoachDependencies } from "./coachDependencies.ts";
import type { CoachSettings } from "./coachSettings.ts";
import { coachRouter } from "./http/coachRouter.ts";
import { createBullmqCoachScheduler } from "./scheduler/bullmqScheduler.ts";
import type { CoachScheduler } from "./scheduler/coachScheduler.ts";
import { createCronCoachScheduler } from "./scheduler/cronScheduler.ts";
import { type RunCoachPassReturnType, runCoachPass } from "./scheduler/runCoachPass.ts";
import { createTokenInfoLookup } from "./tokenAmounts.ts";
import { coachTools } from "./tools/coachTools.ts";

export type { CoachSettings } from "./coachSettings.ts";

export interface CreateCoachParameters {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: CoachSettings;
  /** The vault coached; null when none is configured. */
  chain: { chainId: number; vault: string } | null;
  /** When given, the scheduler is BullMQ on this Redis (one pass per schedule across replicas). */
  redis?: Redis;
  /** BullMQ key prefix, e.g. `${REDIS_KEY_PREFIX}bull`. */
  bullPrefix?: string;
  /** Where the agent loop's answer and model latencies go. */
  metrics?: AgentTurnDependencies["metrics"];
}

export interface Coach {
  deps: CoachDependencies;
  agent: AgentTurnDependencies;
  router: ReturnType<typeof coachRouter>;
  scheduler: CoachScheduler;
  runPass(): Promise<RunCoachPassReturnType>;
}

export function createCoach(parameters: CreateCoachParameters): Coach {
  const { store, clock, logger, settings, chain } = parameters;
  const channels: NudgeChannels = { inApp: createInAppChannel() };
  if (settings.smtpUrl !== undefined) {
    channels.email = createEmailChannel({ transport: settings.smtpUrl, from: settings.nudgeFrom });
  }
  if (settings.webhookSecret !== undefined) {
    channels.webhook = createWebhookChannel({
      secret: settings.webhookSecret,
      clock,
      policy: settings.outbound,
      retry: settings.webhookRetry,
    });
  }
  const deps: CoachDependencies = {
    store,
    clock,
    logger: logger.child({ component: "coach" }),
    chain,
    tokens: createTokenInfoLookup(settings.tokens),
    channels,
    calendar: { policy: settings.outbound, refreshMs: settings.calendarRefreshMs },
  };
  let provider: CoachProvider;
  if (settings.provider === "openai-compatible") {
    if (settings.openai === undefined)
      throw new Error("the openai-compatible provider needs openai settings");
    provider = createOpenAiCompatibleProvider(settings.openai);
  } else {
    provider = createRulesProvider();
  }
  const agent: AgentTurnDependencies = {
    coach: deps,
    provider,
    tools: coachTools,
    maxIterations: settings.maxIterations,
    ...(parameters.metrics === undefined ? {} : { metrics: parameters.metrics }),
  };
  const runPass = async () => {
    const result = await runCoachPass(deps);
    deps.logger.info({ pass: result }, "coach pass done");
    return result;
  };
  const scheduler =
    parameters.redis === undefined
      ? createCronCoachScheduler({ pattern: settings.schedule, runPass, logger: deps.logger })
      : createBullmqCoachScheduler({
          redis: parameters.redis,
          prefix: parameters.bullPrefix ?? "bull",
          pattern: settings.schedule,
          runPass,
          logger: deps.logger,
        });
  return {
    deps,
    agent,
    router: coachRouter({
      coach: deps,
      agent,
      maxMessageChars: settings.maxMessageChars,
      calendarMaxBytes: settings.calendarMaxBytes,
    }),
    scheduler,
    runPass,
  };
}

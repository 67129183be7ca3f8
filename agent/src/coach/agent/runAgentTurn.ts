/**
 * One turn of the coach: `runAgentTurn({ owner, message, conversationId? })` → `{ conversationId, reply,
 * toolCalls }`. The provider sees the conversation's stored context (bounded) plus the new message, and may
 * call tools for at most `maxIterations` steps (default 5, at most 8 calls a step). Tool failures (bad or
 * malformed arguments, unknown tools, errors) go back to the provider as results. Tools always act for
 * `owner`. Numbers in the final reply that no tool result contains are replaced with "?" (`groundReply`).
 * The user message and the reply are appended to the conversation.
 */
import type { Address } from "viem";
import { getAddress } from "viem";
import { NotFoundError } from "../../errors.ts";
import { storableText } from "../../http/safeText.ts";
import type { Metrics } from "../../metrics.ts";
import { inSpan } from "../../telemetry/spans.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import { type AnyCoachTool, runTool, type ToolOutcome, toolJsonSchema } from "../tools/coachTool.ts";
import type { CoachMessage, CoachProvider, ProviderInput, ProviderStep, ToolSpec } from "./coachMessages.ts";
import { groundReply } from "./groundNumbers.ts";

export const DEFAULT_MAX_ITERATIONS = 5;
const MAX_CALLS_PER_STEP = 8;

export interface AgentTurnDependencies {
  coach: CoachDependencies;
  provider: CoachProvider;
  tools: readonly AnyCoachTool[];
  /** Default 5. */
  maxIterations?: number;
  /** Where answer and model latencies and token counts go (none in tests that do not look). */
  metrics?: Pick<Metrics, "coachAnswerDuration" | "coachModelDuration" | "coachModelTokens" | "recent">;
}

export interface RunAgentTurnParameters {
  owner: string;
  message: string;
  conversationId?: string;
  signal?: AbortSignal;
}

export interface ToolCallRecord {
  name: string;
  /** Parsed arguments, or the raw text when it was not JSON. */
  arguments: unknown;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; field?: string };
}

export interface RunAgentTurnReturnType {
  conversationId: string;
  reply: string;
  toolCalls: ToolCallRecord[];
}

const OUT_OF_STEPS =
  "I could not finish that within the steps I am allowed. Try a narrower question, like how you are doing this week.";
const EMPTY_REPLY =
  "I have no answer to that. Ask me how you are doing, when you can train, or to set a reminder.";

function parseArguments(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * One coach turn, traced (`coach.turn`, with a `coach.model` span per model call and a `coach.tool` span per tool
 * call: provider, model, token counts, tool names and outcomes; never the messages) and timed into
 * `agent_coach_answer_duration_seconds`.
 */
export async function runAgentTurn(
  deps: AgentTurnDependencies,
  parameters: RunAgentTurnParameters,
): Promise<RunAgentTurnReturnType> {
  const started = performance.now();
  let outcome = "error";
  try {
    const result = await inSpan("coach.turn", { "coach.provider": deps.provider.name }, async (span) => {
      const turn = await runTurn(deps, parameters);
      span?.setAttribute("coach.tool_calls", turn.toolCalls.length);
      return turn;
    });
    outcome = "ok";
    return result;
  } finally {
    const seconds = (performance.now() - started) / 1000;
    deps.metrics?.coachAnswerDuration.observe({ outcome }, seconds);
    deps.metrics?.recent.answer.record(seconds);
  }
}

/** One model call, traced and timed into `agent_coach_model_duration_seconds` (tokens into their counter). */
async function callModel(deps: AgentTurnDependencies, input: ProviderInput): Promise<ProviderStep> {
  const { provider, metrics } = deps;
  const started = performance.now();
  let outcome = "error";
  try {
    const step = await inSpan(
      "coach.model",
      {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": provider.name,
        ...(provider.model === undefined ? {} : { "gen_ai.request.model": provider.model }),
        "coach.messages": input.messages.length,
      },
      async (span) => {
        const next = await provider.next(input);
        span?.setAttributes({
          "coach.step": next.type,
          "coach.model.latency_ms": Math.round(performance.now() - started),
          ...(next.usage === undefined
            ? {}
            : {
                "gen_ai.usage.input_tokens": next.usage.inputTokens,
                "gen_ai.usage.output_tokens": next.usage.outputTokens,
              }),
        });
        return next;
      },
      { kind: "client" },
    );
    outcome = "ok";
    if (step.usage !== undefined) {
      metrics?.coachModelTokens.inc({ provider: provider.name, direction: "input" }, step.usage.inputTokens);
      metrics?.coachModelTokens.inc(
        { provider: provider.name, direction: "output" },
        step.usage.outputTokens,
      );
    }
    return step;
  } finally {
    const seconds = (performance.now() - started) / 1000;
    metrics?.coachModelDuration.observe({ provider: provider.name, outcome }, seconds);
    metrics?.recent.model.record(seconds);
  }
}

async function runTurn(
  deps: AgentTurnDependencies,
  parameters: RunAgentTurnParameters,
): Promise<RunAgentTurnReturnType> {
  const { coach, provider, tools } = deps;
  const maxIterations = Math.max(1, Math.min(deps.maxIterations ?? DEFAULT_MAX_ITERATIONS, 20));
  const owner: Address = getAddress(parameters.owner);
  const conversation =
    parameters.conversationId === undefined
      ? await coach.store.coachConversations.create(owner)
      : await coach.store.coachConversations.get(parameters.conversationId, owner);
  if (conversation === null) {
    throw new NotFoundError({
      code: "conversation_not_found",
      message: "There is no such conversation.",
      details: { field: "conversationId" },
    });
  }
  const specs: ToolSpec[] = tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: toolJsonSchema(tool),
  }));
  const messages: CoachMessage[] = [
    ...conversation.messages.map((m): CoachMessage => ({ role: m.role, content: m.content })),
    { role: "user", content: parameters.message },
  ];
  const toolCalls: ToolCallRecord[] = [];
  const toolResults: string[] = [];
  let reply: string | null = null;

  for (let iteration = 0; iteration < maxIterations && reply === null; iteration += 1) {
    const step = await callModel(deps, { messages, tools: specs, signal: parameters.signal });
    if (step.type === "reply") {
      reply = step.text.trim() === "" ? EMPTY_REPLY : step.text;
      break;
    }
    const calls = step.calls.slice(0, MAX_CALLS_PER_STEP);
    messages.push({ role: "assistant", content: "", toolCalls: calls });
    for (const call of calls) {
      const parsed = parseArguments(call.arguments);
      const outcome: ToolOutcome = parsed.ok
        ? await inSpan("coach.tool", { "coach.tool.name": call.name }, async (span) => {
            const result = await runTool(tools, call.name, parsed.value, {
              owner,
              deps: coach,
              sources: toolResults,
            });
            span?.setAttribute("coach.tool.ok", result.ok);
            return result;
          })
        : { ok: false, error: { code: "malformed_arguments", message: "The arguments are not valid JSON." } };
      const content = JSON.stringify(outcome);
      toolResults.push(content);
      messages.push({ role: "tool", toolCallId: call.id, name: call.name, content });
      toolCalls.push({
        name: call.name,
        arguments: parsed.ok ? parsed.value : call.arguments,
        ok: outcome.ok,
        ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
      });
    }
  }

  // A model's text is stored: without NUL or lone surrogates, which the database cannot hold (a 500 otherwise).
  const grounded = groundReply(storableText(reply ?? OUT_OF_STEPS), toolResults);
  if (grounded.removed.length > 0) {
    coach.logger.warn(
      { provider: provider.name, removed: grounded.removed },
      "coach reply had numbers no tool gave",
    );
  }
  await coach.store.coachConversations.append(conversation.id, owner, [
    { role: "user", content: parameters.message },
    { role: "assistant", content: grounded.text },
  ]);
  return { conversationId: conversation.id, reply: grounded.text, toolCalls };
}

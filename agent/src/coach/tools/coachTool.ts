/**
 * A coach tool: a name, a description for the model, zod-validated arguments and a function that acts for
 * the signed-in owner only (the owner comes from the session through `ToolContext`, never from arguments;
 * argument schemas are strict, so an `owner` argument is rejected). `runTool` parses, runs and turns every
 * failure into a result the agent loop feeds back to the model instead of throwing.
 */
import type { Address } from "viem";
import { z } from "zod";
import { AgentError } from "../../errors.ts";
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import { loadOwnerContext, type OwnerContext } from "../ownerContext.ts";
import { ownCommitment } from "./toolArguments.ts";

export interface ToolContext {
  owner: Address;
  deps: CoachDependencies;
  /**
   * The results of the tools called earlier in this turn (JSON), what the model may quote: a tool that sends the
   * model's text to the user checks its numbers against them, like the reply (groundNumbers.ts).
   */
  sources?: readonly string[];
}

export interface CoachTool<S extends z.ZodType = z.ZodType, R = unknown> {
  name: string;
  description: string;
  parameters: S;
  run(args: z.output<S>, context: ToolContext): Promise<R>;
}

/** Keeps the argument type of `run` tied to the schema. */
export function defineTool<S extends z.ZodType, R>(tool: CoachTool<S, R>): CoachTool<S, R> {
  return tool;
}

/** What a tool about the owner's training gets besides its arguments: the owner's context, and the time. */
export interface OwnerToolContext extends ToolContext {
  context: OwnerContext;
  nowMs: number;
}

/** A tool that reads the owner's context (time zone, commitments): the clock is read and the context loaded first. */
export function defineOwnerTool<S extends z.ZodType, R>(
  tool: Omit<CoachTool<S, R>, "run"> & { run(args: z.output<S>, context: OwnerToolContext): Promise<R> },
): CoachTool<S, R> {
  return {
    ...tool,
    run: async (args, toolContext) => {
      const nowMs = toolContext.deps.clock.now();
      const context = await loadOwnerContext(toolContext.deps, toolContext.owner);
      return tool.run(args, { ...toolContext, context, nowMs });
    },
  };
}

/** What a tool about one or more of the owner's commitments gets: also the commitments it is about. */
export interface CommitmentToolContext extends OwnerToolContext {
  /** The owner's commitment `commitmentId` names (else NotFoundError), or without one those with a running window. */
  chosen: CommitmentRecord[];
}

/** An owner tool with an optional `commitmentId` argument: the commitments it names are looked up first. */
export function defineCommitmentTool<S extends z.ZodType<{ commitmentId?: string | undefined }>, R>(
  tool: Omit<CoachTool<S, R>, "run"> & { run(args: z.output<S>, context: CommitmentToolContext): Promise<R> },
): CoachTool<S, R> {
  return defineOwnerTool({
    ...tool,
    run: (args, toolContext) => {
      const { commitmentId } = args as { commitmentId?: string | undefined };
      const { context } = toolContext;
      const chosen =
        commitmentId === undefined ? context.active : [ownCommitment(context.commitments, commitmentId)];
      return tool.run(args, { ...toolContext, chosen });
    },
  });
}

export type ToolOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: string; message: string; field?: string } };

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of tools, each checked by its own schema
export type AnyCoachTool = CoachTool<any, unknown>;

export async function runTool(
  tools: readonly AnyCoachTool[],
  name: string,
  rawArguments: unknown,
  context: ToolContext,
): Promise<ToolOutcome> {
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) {
    return {
      ok: false,
      error: {
        code: "unknown_tool",
        message: `There is no tool named ${JSON.stringify(name).slice(0, 80)}.`,
      },
    };
  }
  const parsed = (tool.parameters as z.ZodType).safeParse(rawArguments ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.code === "unrecognized_keys" ? issue.keys[0] : issue?.path.map(String).join(".") || undefined;
    return {
      ok: false,
      error: {
        code: "invalid_arguments",
        message: `${field ?? "arguments"}: ${issue?.code === "unrecognized_keys" ? "is not allowed" : (issue?.message ?? "invalid")}`,
        ...(field === undefined ? {} : { field }),
      },
    };
  }
  try {
    return { ok: true, result: await tool.run(parsed.data, context) };
  } catch (error) {
    if (error instanceof AgentError) {
      const field = typeof error.details.field === "string" ? error.details.field : undefined;
      return {
        ok: false,
        error: { code: error.code, message: error.message, ...(field === undefined ? {} : { field }) },
      };
    }
    context.deps.logger.error({ err: error, tool: name }, "coach tool failed");
    return { ok: false, error: { code: "tool_failed", message: `The ${name} tool failed unexpectedly.` } };
  }
}

/** JSON Schema of a tool's arguments (for providers that speak function calling). */
export function toolJsonSchema(tool: AnyCoachTool): Record<string, unknown> {
  return z.toJSONSchema(tool.parameters as z.ZodType, { io: "input" }) as Record<string, unknown>;
}

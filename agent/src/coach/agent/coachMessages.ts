/** The provider-neutral conversation a turn is made of, and what a provider answers each step. */
export interface ProviderToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text, possibly malformed). */
  arguments: string;
}

export type CoachMessage =
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ProviderToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

/** Tokens a model call used, when the provider reports them. */
export interface ProviderUsage {
  inputTokens: number;
  outputTokens: number;
}

export type ProviderStep = (
  | { type: "reply"; text: string }
  | { type: "toolCalls"; calls: ProviderToolCall[] }
) & {
  usage?: ProviderUsage;
};

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export interface ProviderInput {
  messages: readonly CoachMessage[];
  tools: readonly ToolSpec[];
  signal?: AbortSignal;
}

/** A model (or the offline rules) deciding the next step of a turn. */
export interface CoachProvider {
  readonly name: "rules" | "openai-compatible";
  /** The model asked (for traces and metrics); none for the offline rules. */
  readonly model?: string;
  next(input: ProviderInput): Promise<ProviderStep>;
}

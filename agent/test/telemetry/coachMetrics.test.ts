/**
 * The coach's latency and token metrics (the CoachModelLatencyHigh and CoachAnswerLatencyHigh alerts read them):
 * every model call is timed by provider and outcome, its reported tokens counted, every turn timed, and the
 * recent windows behind `/health?deep=1` fed.
 */
import { expect } from "chai";
import type { CoachProvider, ProviderStep } from "../../src/coach/agent/coachMessages.ts";
import { runAgentTurn } from "../../src/coach/agent/runAgentTurn.ts";
import { coachTools } from "../../src/coach/tools/coachTools.ts";
import { createMetrics } from "../../src/metrics.ts";
import { type CoachTestContext, openCoachTest, randomOwner } from "../coach/coachFixtures.ts";

describe("coach metrics", () => {
  let t: CoachTestContext;
  before(async () => {
    t = await openCoachTest();
  });
  after(() => t.store.close());

  function scripted(steps: (ProviderStep | Error)[]): CoachProvider {
    return {
      name: "openai-compatible",
      model: "test-model",
      next: async () => {
        const step = steps.shift();
        if (step === undefined) throw new Error("no more steps");
        if (step instanceof Error) throw step;
        return step;
      },
    };
  }

  it("times each model call and the whole answer, and counts the tokens the provider reports", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const provider = scripted([
      {
        type: "toolCalls",
        calls: [{ id: "c1", name: "getCommitmentStatus", arguments: "{}" }],
        usage: { inputTokens: 120, outputTokens: 8 },
      },
      { type: "reply", text: "Keep going.", usage: { inputTokens: 180, outputTokens: 4 } },
    ]);
    await runAgentTurn(
      { coach: t.deps, provider, tools: coachTools, metrics },
      { owner: randomOwner(), message: "hi" },
    );
    const text = await metrics.registry.metrics();
    expect(text).to.include(
      'agent_coach_model_duration_seconds_count{provider="openai-compatible",outcome="ok"} 2',
    );
    expect(text).to.include('agent_coach_answer_duration_seconds_count{outcome="ok"} 1');
    expect(text).to.include(
      'agent_coach_model_tokens_total{provider="openai-compatible",direction="input"} 300',
    );
    expect(text).to.include(
      'agent_coach_model_tokens_total{provider="openai-compatible",direction="output"} 12',
    );
    expect(metrics.recent.model.summary().count).to.equal(2);
    expect(metrics.recent.answer.summary().count).to.equal(1);
  });

  it("records a failed model call and answer as errors", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const provider = scripted([new Error("model unavailable")]);
    const failed = await runAgentTurn(
      { coach: t.deps, provider, tools: coachTools, metrics },
      { owner: randomOwner(), message: "hi" },
    ).catch((error: unknown) => error);
    expect(failed).to.be.instanceOf(Error);
    const text = await metrics.registry.metrics();
    expect(text).to.include(
      'agent_coach_model_duration_seconds_count{provider="openai-compatible",outcome="error"} 1',
    );
    expect(text).to.include('agent_coach_answer_duration_seconds_count{outcome="error"} 1');
  });
});

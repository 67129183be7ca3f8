/**
 * A multi-step transaction flow as the screen shows it (create a commitment, join a challenge): idle → running
 * (one step active at a time) → confirmed, or failed (the active step goes back to "todo" so a retry starts
 * there; steps already done stay done). Events that do not fit the phase are ignored.
 */
import { useCallback, useReducer } from "react";
import type { Hex } from "viem";

export type StepStatus = "todo" | "active" | "done" | "skipped";

export interface FlowStep<Id extends string = string> {
  id: Id;
  label: string;
  status: StepStatus;
  detail?: string;
}

/** What a confirmed flow created: the vault commitment (a challenge seat is one too) and its transaction. */
export interface FlowResult {
  commitmentId: bigint;
  txHash: Hex;
}

export type FlowState<Id extends string = string> =
  | { phase: "idle" }
  | { phase: "running"; steps: FlowStep<Id>[] }
  | { phase: "failed"; steps: FlowStep<Id>[]; error: unknown }
  | ({ phase: "confirmed"; steps: FlowStep<Id>[] } & FlowResult);

export type FlowEvent<Id extends string = string> =
  | { type: "start"; steps: FlowStep<Id>[] }
  | { type: "mark"; id: Id; status: StepStatus; detail?: string }
  | { type: "fail"; error: unknown }
  | ({ type: "confirm" } & FlowResult)
  | { type: "reset" };

/** The step still active when the flow ends: back to "todo" on a failure, "done" on a confirmation. */
function settleActive<Id extends string>(steps: FlowStep<Id>[], to: "todo" | "done"): FlowStep<Id>[] {
  return steps.map((s) => (s.status === "active" ? { ...s, status: to } : s));
}

export function stepFlowReducer<Id extends string>(
  state: FlowState<Id>,
  event: FlowEvent<Id>,
): FlowState<Id> {
  switch (event.type) {
    case "start":
      return state.phase === "running" ? state : { phase: "running", steps: event.steps };
    case "mark":
      if (state.phase !== "running") return state;
      return {
        phase: "running",
        steps: state.steps.map((s) =>
          s.id === event.id
            ? { ...s, status: event.status, ...(event.detail !== undefined ? { detail: event.detail } : {}) }
            : s,
        ),
      };
    case "fail":
      if (state.phase !== "running") return state;
      return { phase: "failed", steps: settleActive(state.steps, "todo"), error: event.error };
    case "confirm":
      if (state.phase !== "running") return state;
      return {
        phase: "confirmed",
        steps: settleActive(state.steps, "done"),
        commitmentId: event.commitmentId,
        txHash: event.txHash,
      };
    case "reset":
      return state.phase === "running" ? state : { phase: "idle" };
  }
}

/** Marks one step (the flow's body calls it as it goes). */
export type MarkStep<Id extends string> = (id: Id, status: StepStatus, detail?: string) => void;

/**
 * The flow's state and `execute(steps, body)`: starts with the planned steps, lets the body mark them, and ends
 * confirmed with the body's result or failed with what it threw.
 */
export function useStepFlow<Id extends string>() {
  const [state, dispatch] = useReducer(stepFlowReducer<Id>, { phase: "idle" });
  const execute = useCallback(
    async (steps: FlowStep<Id>[], body: (mark: MarkStep<Id>) => Promise<FlowResult>): Promise<void> => {
      dispatch({ type: "start", steps });
      const mark: MarkStep<Id> = (id, status, detail) =>
        dispatch({ type: "mark", id, status, ...(detail !== undefined ? { detail } : {}) });
      try {
        dispatch({ type: "confirm", ...(await body(mark)) });
      } catch (error) {
        dispatch({ type: "fail", error });
      }
    },
    [],
  );
  const reset = useCallback(() => dispatch({ type: "reset" }), []);
  return { state, execute, reset };
}

/**
 * `deployNudge({ channel, message, reason })`: sends the signed-in owner a nudge now, under the same rules as
 * the scheduler's (channel chosen, quiet hours, daily cap, dedupe); the result says what happened. The message
 * passes the same grounding check as a chat reply: a number no earlier tool result of the turn gave is refused
 * (`ungrounded_numbers`, nothing sent), so the model cannot mail or post a figure it made up.
 */
import { z } from "zod";
import { ValidationError } from "../../errors.ts";
import { nudgeChannels } from "../../store/schema.ts";
import { ungroundedNumbers } from "../agent/groundNumbers.ts";
import { deployNudge } from "../nudges/deployNudge.ts";
import { loadOwnerContext } from "../ownerContext.ts";
import { defineTool } from "./coachTool.ts";

export const deployNudgeArguments = z.strictObject({
  channel: z.enum(nudgeChannels),
  message: z.string().trim().min(1).max(500),
  reason: z.string().trim().min(1).max(64),
});

export const deployNudgeTool = defineTool({
  name: "deployNudge",
  description:
    "Send the user a nudge now on one channel (inApp, email, webhook). Honours quiet hours, the daily cap and never repeats the same nudge.",
  parameters: deployNudgeArguments,
  run: async (args, { owner, deps, sources }) => {
    const ungrounded = ungroundedNumbers(args.message, sources ?? []);
    if (ungrounded.length > 0) {
      throw new ValidationError({
        code: "ungrounded_numbers",
        message: `The message states ${ungrounded.join(", ")}, which no tool result gave; use only the tools' figures.`,
        details: { field: "message", numbers: ungrounded },
      });
    }
    const context = await loadOwnerContext(deps, owner);
    return deployNudge(deps, {
      owner,
      channel: args.channel,
      message: args.message,
      reason: args.reason,
      fallbackTimeZone: context.timeZone,
      preferences: context.preferences,
    });
  },
});

/** The in-app feed (`GET /api/nudges`): the stored nudge is the delivery, so delivering only confirms it. */
import type { NudgeChannel } from "./nudgeChannel.ts";

export function createInAppChannel(): NudgeChannel {
  return {
    kind: "inApp",
    unavailableReason: () => null,
    deliver: async () => ({ ok: true, attempts: 1 }),
  };
}

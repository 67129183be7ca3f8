/**
 * Email over SMTP with nodemailer. The transport comes from `SMTP_URL` (e.g. `smtp://user:pass@host:587`);
 * the owner's saved address receives a plain-text message. One attempt: SMTP servers queue and retry
 * themselves, and a failure is recorded on the nudge.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type { NudgeChannel } from "./nudgeChannel.ts";

export interface CreateEmailChannelParameters {
  /** An SMTP URL, or a ready transport (tests). */
  transport: string | Transporter;
  /** `Coach <coach@example.com>` (NUDGE_FROM). */
  from: string;
}

/** A transport from an `smtp://` or `smtps://` URL, with bounded connect and socket times. */
export function smtpTransport(url: string): Transporter {
  const parsed = new URL(url);
  return nodemailer.createTransport({
    host: parsed.hostname,
    port: parsed.port === "" ? undefined : Number(parsed.port),
    secure: parsed.protocol === "smtps:",
    auth:
      parsed.username === ""
        ? undefined
        : { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 15_000,
  });
}

export function createEmailChannel({ transport, from }: CreateEmailChannelParameters): NudgeChannel {
  const transporter = typeof transport === "string" ? smtpTransport(transport) : transport;
  return {
    kind: "email",
    unavailableReason: (preferences) => (preferences.email === null ? "no email address saved" : null),
    deliver: async (delivery, preferences) => {
      if (preferences.email === null) return { ok: false, attempts: 0, error: "no email address saved" };
      try {
        await transporter.sendMail({
          from,
          to: preferences.email,
          subject: "Your Resolution Autopilot coach",
          text: `${delivery.message}\n\n(Change channels or quiet hours in the app's preferences.)\n`,
          headers: { "X-Nudge-Id": delivery.nudgeId },
        });
        return { ok: true, attempts: 1 };
      } catch (error) {
        return { ok: false, attempts: 1, error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

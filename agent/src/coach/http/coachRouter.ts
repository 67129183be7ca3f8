/**
 * The coach's HTTP API, mounted by the lead at `/api` (all routes need a session; everything acts for the
 * signed-in address only):
 * - `POST /agent` `{ message, conversationId? }` → `{ conversationId, reply, toolCalls }` (empty or longer than
 *   `maxMessageChars` → 400 naming `message`; someone else's or an unknown conversation → 404);
 * - `GET /nudges?limit&cursor` → the in-app feed `{ nudges, nextCursor }`;
 * - `GET /preferences`, `PUT /preferences` `{ channels, timezone?, quietHours?, dailyCap?, email?, webhookUrl? }`;
 * - `POST /calendar`: an iCalendar upload (`text/calendar` body, or JSON `{ ics }`) or JSON `{ url }` (https,
 *   fetched at once through the SSRF guard) → `{ source, events, fetchedAt }`; `DELETE /calendar` is not
 *   offered (upload an empty VCALENDAR instead).
 */
import express, { Router } from "express";
import { z } from "zod";
import { requireSession, sessionOf } from "../../auth/session.ts";
import { ValidationError } from "../../errors.ts";
import { pageOptionsOf, pageQueryFields, readPage } from "../../http/pageCursor.ts";
import { parseJsonBody, parseQuery } from "../../http/parseRequest.ts";
import { requestSignal } from "../../http/requestTimeout.ts";
import { assertSafeText } from "../../http/safeText.ts";
import { CALENDAR_MAX_CHARS } from "../../store/coachCalendarsRepository.ts";
import { nudgeChannels } from "../../store/schema.ts";
import type { AgentTurnDependencies } from "../agent/runAgentTurn.ts";
import { runAgentTurn } from "../agent/runAgentTurn.ts";
import { fetchCalendar } from "../calendar/calendarSource.ts";
import { parseCalendar } from "../calendar/parseIcs.ts";
import { resolveTarget } from "../calendar/safeRequest.ts";
import type { CoachDependencies } from "../coachDependencies.ts";
import { DEFAULT_COACH_PREFERENCES, loadPreferences } from "../coachPreferences.ts";
import { formatMinuteOfDay, isValidTimeZone } from "../zonedTime.ts";

export interface CoachRouterParameters {
  coach: CoachDependencies;
  agent: AgentTurnDependencies;
  /** Longest chat message. Default 2,000 characters. */
  maxMessageChars?: number;
  /** Largest calendar upload. Default 1 MiB. */
  calendarMaxBytes?: number;
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24 h)");
const toMinutes = (value: string) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3));

export const preferencesBody = z
  .strictObject({
    channels: z
      .array(z.enum(nudgeChannels))
      .max(nudgeChannels.length)
      .refine((list) => new Set(list).size === list.length, "must not repeat a channel"),
    timezone: z.string().max(64).refine(isValidTimeZone, "must be an IANA time zone").nullish(),
    quietHours: z.strictObject({ start: hhmm, end: hhmm }).optional(),
    dailyCap: z.number().int().min(0).max(10).optional(),
    email: z.email().max(254).nullish(),
    webhookUrl: z.url().max(2048).nullish(),
  })
  .superRefine((body, ctx) => {
    if (body.channels.includes("email") && (body.email ?? null) === null) {
      ctx.addIssue({ code: "custom", path: ["email"], message: "is required for the email channel" });
    }
    if (body.channels.includes("webhook") && (body.webhookUrl ?? null) === null) {
      ctx.addIssue({ code: "custom", path: ["webhookUrl"], message: "is required for the webhook channel" });
    }
  });

export const calendarJsonBody = z.union([
  z.strictObject({ ics: z.string().min(1).max(CALENDAR_MAX_CHARS) }),
  z.strictObject({ url: z.url().max(2048) }),
]);

/** As every listing's: `limit` 1 to 100 in digits only, an opaque `cursor` (pageCursor.ts). */
export const nudgesQuery = z.strictObject(pageQueryFields(100));

function preferencesView(p: Awaited<ReturnType<typeof loadPreferences>>) {
  const channels = p.channels.includes("inApp") ? p.channels : ["inApp" as const, ...p.channels];
  return {
    channels,
    timezone: p.timezone,
    quietHours: { start: formatMinuteOfDay(p.quietStartMin), end: formatMinuteOfDay(p.quietEndMin) },
    dailyCap: p.dailyCap,
    email: p.email,
    webhookUrl: p.webhookUrl,
    saved: p.saved,
  };
}

export function coachRouter(parameters: CoachRouterParameters): Router {
  const { coach, agent } = parameters;
  const maxMessageChars = parameters.maxMessageChars ?? 2_000;
  const calendarMaxBytes = parameters.calendarMaxBytes ?? 1024 * 1024;
  const agentBody = z.strictObject({
    message: z
      .string()
      .max(maxMessageChars, `must be at most ${maxMessageChars} characters`)
      .refine((text) => text.trim() !== "", "must not be empty"),
    conversationId: z.uuid().optional(),
  });
  const router = Router();

  router.post("/agent", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    const body = parseJsonBody(req, agentBody);
    const turn = await runAgentTurn(agent, {
      owner: address,
      message: body.message.trim(),
      conversationId: body.conversationId,
      signal: requestSignal(req),
    });
    res.json(turn);
  });

  router.get("/nudges", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    const query = parseQuery(req, nudgesQuery);
    const page = await readPage(() => coach.store.nudges.listFeed(address, pageOptionsOf(query)));
    res.json({
      nudges: page.items.map((n) => ({
        id: n.id,
        message: n.message,
        reason: n.reason,
        at: n.dueAt.toISOString(),
        deliveredAt: n.deliveredAt?.toISOString() ?? null,
      })),
      nextCursor: page.nextCursor,
    });
  });

  router.get("/preferences", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    res.json(preferencesView(await loadPreferences(coach.store, address)));
  });

  router.put("/preferences", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    const body = parseJsonBody(req, preferencesBody);
    const webhookUrl = body.webhookUrl ?? null;
    if (webhookUrl !== null) await resolveTarget(new URL(webhookUrl), coach.calendar.policy, "webhookUrl");
    const saved = await coach.store.coachPreferences.put({
      owner: address,
      timezone: body.timezone ?? null,
      quietStartMin:
        body.quietHours === undefined
          ? DEFAULT_COACH_PREFERENCES.quietStartMin
          : toMinutes(body.quietHours.start),
      quietEndMin:
        body.quietHours === undefined
          ? DEFAULT_COACH_PREFERENCES.quietEndMin
          : toMinutes(body.quietHours.end),
      channels: body.channels.includes("inApp") ? body.channels : ["inApp", ...body.channels],
      dailyCap: body.dailyCap ?? DEFAULT_COACH_PREFERENCES.dailyCap,
      email: body.email ?? null,
      webhookUrl,
    });
    res.json(
      preferencesView({
        ...saved,
        saved: true,
      }),
    );
  });

  router.post(
    "/calendar",
    requireSession,
    express.text({ type: "text/calendar", limit: calendarMaxBytes }),
    async (req, res) => {
      const { address } = sessionOf(req);
      const now = new Date(coach.clock.now());
      let ics: string;
      let url: string | null = null;
      if (typeof req.body === "string") {
        assertSafeText(req.body, { field: "ics" });
        ics = req.body;
      } else {
        const body = parseJsonBody(req, calendarJsonBody);
        if ("url" in body) {
          url = body.url;
          ics = await fetchCalendar(body.url, coach.calendar.policy);
        } else {
          ics = body.ics;
        }
      }
      if (ics.length > CALENDAR_MAX_CHARS) {
        throw new ValidationError({
          code: "invalid_calendar",
          message: "The calendar is too large.",
          details: { field: "ics" },
        });
      }
      const events = parseCalendar(ics).getAllSubcomponents("vevent").length;
      const stored = await coach.store.coachCalendars.put({ owner: address, url, ics, fetchedAt: now });
      res.json({
        source: url === null ? "upload" : "url",
        events,
        fetchedAt: stored.fetchedAt.toISOString(),
      });
    },
  );

  return router;
}

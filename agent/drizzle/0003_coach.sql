CREATE TABLE "coach_calendars" (
	"owner" text PRIMARY KEY NOT NULL,
	"url" text,
	"ics" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coach_calendars_owner_format" CHECK ("coach_calendars"."owner" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE TABLE "coach_conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner" text NOT NULL,
	"messages" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coach_conversations_owner_format" CHECK ("coach_conversations"."owner" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE TABLE "coach_preferences" (
	"owner" text PRIMARY KEY NOT NULL,
	"timezone" text,
	"quiet_start_min" integer NOT NULL,
	"quiet_end_min" integer NOT NULL,
	"channels" jsonb NOT NULL,
	"daily_cap" integer NOT NULL,
	"email" text,
	"webhook_url" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coach_preferences_owner_format" CHECK ("coach_preferences"."owner" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "coach_preferences_quiet_range" CHECK ("coach_preferences"."quiet_start_min" between 0 and 1439 and "coach_preferences"."quiet_end_min" between 0 and 1439),
	CONSTRAINT "coach_preferences_daily_cap_range" CHECK ("coach_preferences"."daily_cap" between 0 and 50)
);
--> statement-breakpoint
CREATE TABLE "nudges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner" text NOT NULL,
	"channel" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"reason" text NOT NULL,
	"message" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text,
	"due_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "nudges_owner_format" CHECK ("nudges"."owner" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "nudges_channel_valid" CHECK ("nudges"."channel" in ('inApp', 'email', 'webhook')),
	CONSTRAINT "nudges_status_valid" CHECK ("nudges"."status" in ('scheduled', 'pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "coach_conversations_owner_updated_at_idx" ON "coach_conversations" USING btree ("owner","updated_at");--> statement-breakpoint
CREATE UNIQUE INDEX "nudges_owner_channel_dedupe_key" ON "nudges" USING btree ("owner","channel","dedupe_key");--> statement-breakpoint
CREATE INDEX "nudges_owner_due_at_idx" ON "nudges" USING btree ("owner","due_at","id");--> statement-breakpoint
CREATE INDEX "nudges_status_due_at_idx" ON "nudges" USING btree ("status","due_at");
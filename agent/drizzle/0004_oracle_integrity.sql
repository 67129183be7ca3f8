CREATE TABLE "evidence_claims" (
	"claim_key" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "evidence_claims_owner_format" CHECK ("evidence_claims"."owner" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE TABLE "track_fingerprints" (
	"workout_id" uuid PRIMARY KEY NOT NULL,
	"vertex_count" integer NOT NULL,
	"vertices" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "track_segment_hashes" (
	"hash" bigint NOT NULL,
	"workout_id" uuid NOT NULL,
	"position" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workout_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workout_id" uuid NOT NULL,
	"owner" text NOT NULL,
	"note" text NOT NULL,
	"status" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decision_note" text,
	"decided_at" timestamp with time zone,
	CONSTRAINT "workout_reviews_owner_format" CHECK ("workout_reviews"."owner" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "workout_reviews_status_valid" CHECK ("workout_reviews"."status" in ('pending', 'accepted', 'rejected'))
);
--> statement-breakpoint
CREATE INDEX "track_segment_hashes_hash_idx" ON "track_segment_hashes" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "track_segment_hashes_workout_idx" ON "track_segment_hashes" USING btree ("workout_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workout_reviews_workout_key" ON "workout_reviews" USING btree ("workout_id");--> statement-breakpoint
CREATE INDEX "workout_reviews_status_requested_at_idx" ON "workout_reviews" USING btree ("status","requested_at","id");
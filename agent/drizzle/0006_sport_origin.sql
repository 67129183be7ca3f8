ALTER TABLE "workouts" ADD COLUMN "sport_origin" text DEFAULT 'named' NOT NULL;--> statement-breakpoint
ALTER TABLE "workouts" ADD COLUMN "sport_detail" jsonb;--> statement-breakpoint
ALTER TABLE "workouts" ADD CONSTRAINT "workouts_sport_origin_valid" CHECK ("workouts"."sport_origin" in ('named', 'inferred', 'declared', 'unknown'));
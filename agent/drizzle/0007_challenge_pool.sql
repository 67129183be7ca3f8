CREATE TABLE "challenge_participants_cache" (
	"chain_id" bigint NOT NULL,
	"pool" text NOT NULL,
	"challenge_id" numeric(78, 0) NOT NULL,
	"participant" text NOT NULL,
	"commitment_id" numeric(78, 0) NOT NULL,
	"status" text NOT NULL,
	"winnings" numeric(78, 0) NOT NULL,
	"updated_block" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "challenge_participants_cache_pkey" PRIMARY KEY("chain_id","pool","challenge_id","participant"),
	CONSTRAINT "challenge_participants_cache_pool_format" CHECK ("challenge_participants_cache"."pool" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "challenge_participants_cache_participant_format" CHECK ("challenge_participants_cache"."participant" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "challenge_participants_cache_status_valid" CHECK ("challenge_participants_cache"."status" in ('joined', 'out', 'finished', 'claimed'))
);
--> statement-breakpoint
CREATE TABLE "challenges_cache" (
	"chain_id" bigint NOT NULL,
	"pool" text NOT NULL,
	"challenge_id" numeric(78, 0) NOT NULL,
	"creator" text NOT NULL,
	"token" text NOT NULL,
	"stake" numeric(78, 0) NOT NULL,
	"start" bigint NOT NULL,
	"period" bigint NOT NULL,
	"milestones" integer NOT NULL,
	"grace" bigint NOT NULL,
	"rules_hash" text NOT NULL,
	"join_deadline" bigint NOT NULL,
	"max_participants" integer NOT NULL,
	"fee_bps" integer NOT NULL,
	"fee_recipient" text NOT NULL,
	"fallback_beneficiary" text NOT NULL,
	"participants" integer NOT NULL,
	"settled" integer NOT NULL,
	"finishers" integer NOT NULL,
	"pot" numeric(78, 0) NOT NULL,
	"updated_block" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "challenges_cache_pkey" PRIMARY KEY("chain_id","pool","challenge_id"),
	CONSTRAINT "challenges_cache_pool_format" CHECK ("challenges_cache"."pool" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "challenges_cache_token_format" CHECK ("challenges_cache"."token" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "challenges_cache_creator_format" CHECK ("challenges_cache"."creator" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "challenges_cache_rules_hash_format" CHECK ("challenges_cache"."rules_hash" ~ '^0x[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE INDEX "challenge_participants_cache_participant_idx" ON "challenge_participants_cache" USING btree ("chain_id","pool","participant");--> statement-breakpoint
CREATE INDEX "challenge_participants_cache_updated_idx" ON "challenge_participants_cache" USING btree ("chain_id","pool","updated_block");--> statement-breakpoint
CREATE INDEX "challenges_cache_updated_idx" ON "challenges_cache" USING btree ("chain_id","pool","updated_block");
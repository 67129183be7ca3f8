CREATE TABLE "chain_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"chain_id" bigint NOT NULL,
	"vault" text NOT NULL,
	"kind" text NOT NULL,
	"commitment_id" numeric(78, 0) NOT NULL,
	"milestone_index" integer NOT NULL,
	"from_address" text NOT NULL,
	"nonce" bigint,
	"tx_hash" text,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text,
	"details" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chain_transactions_vault_format" CHECK ("chain_transactions"."vault" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "chain_transactions_from_format" CHECK ("chain_transactions"."from_address" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "chain_transactions_kind_valid" CHECK ("chain_transactions"."kind" in ('claim', 'slash')),
	CONSTRAINT "chain_transactions_status_valid" CHECK ("chain_transactions"."status" in ('pending', 'confirmed', 'reverted', 'failed')),
	CONSTRAINT "chain_transactions_tx_hash_format" CHECK ("chain_transactions"."tx_hash" is null or "chain_transactions"."tx_hash" ~ '^0x[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "provider_accounts" (
	"provider" text NOT NULL,
	"athlete_id" text NOT NULL,
	"owner" text NOT NULL,
	"access_token" text NOT NULL,
	"refresh_token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"scope" text,
	"synced_until" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "provider_accounts_pkey" PRIMARY KEY("provider","athlete_id"),
	CONSTRAINT "provider_accounts_owner_format" CHECK ("provider_accounts"."owner" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE TABLE "provider_oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"owner" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "provider_oauth_states_owner_format" CHECK ("provider_oauth_states"."owner" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE UNIQUE INDEX "chain_transactions_milestone_key" ON "chain_transactions" USING btree ("chain_id","vault","kind","commitment_id","milestone_index");--> statement-breakpoint
CREATE INDEX "chain_transactions_status_idx" ON "chain_transactions" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "chain_transactions_tx_hash_idx" ON "chain_transactions" USING btree ("tx_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_accounts_owner_key" ON "provider_accounts" USING btree ("provider","owner");--> statement-breakpoint
CREATE INDEX "provider_oauth_states_expires_at_idx" ON "provider_oauth_states" USING btree ("expires_at");
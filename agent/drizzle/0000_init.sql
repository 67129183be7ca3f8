CREATE TABLE "attestations" (
	"chain_id" bigint NOT NULL,
	"vault" text NOT NULL,
	"commitment_id" numeric(78, 0) NOT NULL,
	"milestone_index" integer NOT NULL,
	"signer" text NOT NULL,
	"evidence_hash" text NOT NULL,
	"valid_until" bigint NOT NULL,
	"signature" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "attestations_pkey" PRIMARY KEY("chain_id","vault","commitment_id","milestone_index","signer"),
	CONSTRAINT "attestations_vault_format" CHECK ("attestations"."vault" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "attestations_signer_format" CHECK ("attestations"."signer" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "attestations_evidence_hash_format" CHECK ("attestations"."evidence_hash" ~ '^0x[0-9a-f]{64}$'),
	CONSTRAINT "attestations_signature_format" CHECK ("attestations"."signature" ~ '^0x([0-9a-f]{2})+$')
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject" text,
	"details" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "commitments_cache" (
	"chain_id" bigint NOT NULL,
	"vault" text NOT NULL,
	"commitment_id" numeric(78, 0) NOT NULL,
	"owner" text NOT NULL,
	"token" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"start" bigint NOT NULL,
	"period" bigint NOT NULL,
	"milestones" integer NOT NULL,
	"grace" bigint NOT NULL,
	"beneficiary" text NOT NULL,
	"rules_hash" text NOT NULL,
	"closed" boolean NOT NULL,
	"milestone_states" jsonb NOT NULL,
	"updated_block" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "commitments_cache_pkey" PRIMARY KEY("chain_id","vault","commitment_id"),
	CONSTRAINT "commitments_cache_vault_format" CHECK ("commitments_cache"."vault" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "commitments_cache_owner_format" CHECK ("commitments_cache"."owner" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "commitments_cache_token_format" CHECK ("commitments_cache"."token" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "commitments_cache_beneficiary_format" CHECK ("commitments_cache"."beneficiary" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "commitments_cache_rules_hash_format" CHECK ("commitments_cache"."rules_hash" ~ '^0x[0-9a-f]{64}$'),
	CONSTRAINT "commitments_cache_milestones_range" CHECK ("commitments_cache"."milestones" between 1 and 104)
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"owner" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("owner","key"),
	CONSTRAINT "idempotency_keys_state_valid" CHECK ("idempotency_keys"."state" in ('pending', 'completed'))
);
--> statement-breakpoint
CREATE TABLE "indexer_cursor" (
	"chain_id" bigint NOT NULL,
	"vault" text NOT NULL,
	"block_number" bigint NOT NULL,
	"block_hash" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "indexer_cursor_pkey" PRIMARY KEY("chain_id","vault"),
	CONSTRAINT "indexer_cursor_vault_format" CHECK ("indexer_cursor"."vault" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "indexer_cursor_block_hash_format" CHECK ("indexer_cursor"."block_hash" ~ '^0x[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "locks" (
	"name" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rules_documents" (
	"rules_hash" text PRIMARY KEY NOT NULL,
	"canonical_json" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rules_documents_rules_hash_format" CHECK ("rules_documents"."rules_hash" ~ '^0x[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"address" text NOT NULL,
	"chain_id" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sessions_address_format" CHECK ("sessions"."address" ~ '^0x[0-9a-f]{40}$')
);
--> statement-breakpoint
CREATE TABLE "siwe_nonces" (
	"nonce" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workouts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner" text NOT NULL,
	"source" text NOT NULL,
	"content_hash" text NOT NULL,
	"sport" text NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"end_time" timestamp with time zone NOT NULL,
	"duration_sec" integer NOT NULL,
	"elapsed_sec" integer NOT NULL,
	"distance_m" double precision,
	"avg_heart_rate" double precision,
	"verdict_status" text NOT NULL,
	"verdict_reasons" jsonb NOT NULL,
	"provider" text,
	"provider_activity_id" text,
	"notes" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "workouts_owner_format" CHECK ("workouts"."owner" ~ '^0x[0-9a-f]{40}$'),
	CONSTRAINT "workouts_content_hash_format" CHECK ("workouts"."content_hash" ~ '^0x[0-9a-f]{64}$'),
	CONSTRAINT "workouts_source_valid" CHECK ("workouts"."source" in ('fit', 'gpx', 'tcx', 'manual', 'provider')),
	CONSTRAINT "workouts_verdict_status_valid" CHECK ("workouts"."verdict_status" in ('accepted', 'rejected')),
	CONSTRAINT "workouts_time_order" CHECK ("workouts"."end_time" >= "workouts"."start_time"),
	CONSTRAINT "workouts_durations_non_negative" CHECK ("workouts"."duration_sec" >= 0 and "workouts"."elapsed_sec" >= 0)
);
--> statement-breakpoint
CREATE INDEX "audit_log_subject_id_idx" ON "audit_log" USING btree ("subject","id");--> statement-breakpoint
CREATE INDEX "commitments_cache_owner_idx" ON "commitments_cache" USING btree ("chain_id","vault","owner");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "sessions_expires_at_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "siwe_nonces_expires_at_idx" ON "siwe_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "workouts_owner_content_hash_key" ON "workouts" USING btree ("owner","content_hash");--> statement-breakpoint
CREATE INDEX "workouts_owner_start_time_idx" ON "workouts" USING btree ("owner","start_time","id");
-- Custom SQL migration (drizzle-kit generate --custom): the audit log is append-only.
-- A statement-level trigger rejects every UPDATE, DELETE and TRUNCATE on audit_log, whoever issues it, with
-- SQLSTATE 23001 (restrict_violation) and constraint name audit_log_append_only, which the store maps to
-- ConflictError code "append_only". Only a role that may ALTER the table can disable it; the agent never does.
CREATE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % rejected', TG_OP
    USING ERRCODE = 'restrict_violation',
          CONSTRAINT = 'audit_log_append_only',
          SCHEMA = TG_TABLE_SCHEMA,
          TABLE = TG_TABLE_NAME;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();

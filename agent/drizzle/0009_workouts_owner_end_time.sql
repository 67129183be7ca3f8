CREATE INDEX IF NOT EXISTS "workouts_owner_end_time_idx" ON "workouts" USING btree ("owner","end_time");

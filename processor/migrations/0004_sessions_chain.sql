-- Sessions stage (docs/sessions.md): a session cut at the maximum length goes
-- on in rows with the same session id; these say which chain a row belongs
-- to and where in it, and what sent it (for the delivery-completeness share).
ALTER TABLE sessions ADD COLUMN chain_start_ms UInt64 DEFAULT 0;
ALTER TABLE sessions ADD COLUMN segment_index UInt16 DEFAULT 0;
ALTER TABLE sessions ADD COLUMN platform String DEFAULT '';
ALTER TABLE sessions ADD COLUMN sdk_name String DEFAULT '';

-- The identity map's source (docs/analysis.md, "Identity"), kept by ClickHouse:
-- the identity columns of every `sessions` row that carries a user id, with
-- the same key, version and partitions as `sessions`, so `FINAL` here keeps
-- the same newest version of each session row as `sessions FINAL` does. The
-- queries build the map (anonymous id -> user id) from this table instead of
-- a second read of all of `sessions FINAL`.
--
-- Why the filter on user_id keeps that equality: the sessionize writer never
-- writes a newer version of a row without the user id an older one had (a
-- window's user id is only ever replaced by another non-empty one, and a row
-- merged away keeps it; processor/src/sessionize/session_window.cpp, absorb,
-- make_row and the merge in add). So a row left out here (no user id) has no
-- older version kept here either, and `sessions FINAL` rows with a user id are
-- exactly this table's `FINAL` rows. Merged rows (events = 0) come along and
-- replace their older versions; the readers skip them as they do in sessions.
CREATE TABLE IF NOT EXISTS session_identities
(
    site          String,
    session_id    String,
    segment       UInt16,
    version       UInt64,
    start_date    Date,
    anonymous_id  String,
    user_id       String,
    end_ms        UInt64,
    events        UInt32
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_date)
ORDER BY (site, session_id, segment);

-- Every insert into sessions from now on.
CREATE MATERIALIZED VIEW IF NOT EXISTS session_identities_writer TO session_identities
AS SELECT site, session_id, segment, version, start_date, anonymous_id, user_id, end_ms, events
FROM sessions
WHERE user_id != '';

-- The rows sessions already holds. Made after the view, so no insert falls
-- between the two; one made meanwhile arrives twice, as the same row with the
-- same version, which FINAL keeps once.
INSERT INTO session_identities
SELECT site, session_id, segment, version, start_date, anonymous_id, user_id, end_ms, events
FROM sessions
WHERE user_id != '';

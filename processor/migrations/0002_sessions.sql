-- One row per session segment. A provisional row (closed on idle wall time)
-- is rewritten with a higher version when the session turns out to go on;
-- ReplacingMergeTree(version) keeps the newest, so an older replay never
-- wins. Read through FINAL or argMax(..., version).
CREATE TABLE IF NOT EXISTS sessions
(
    site              String,
    session_id        String,
    segment           UInt16,
    version           UInt64,
    anonymous_id      String,
    user_id           String,
    start_ms          UInt64,
    end_ms            UInt64,
    start_date        Date,
    duration_ms       UInt64,
    events            UInt32,
    page_views        UInt32,
    clicks            UInt32,
    scrolls           UInt32,
    hovers            UInt32,
    max_scroll_depth  UInt8,
    pages             Array(String),
    landing_page      String,
    exit_page         String,
    referrer          String,
    referrer_medium   String,
    referrer_source   String,
    utm_source        String,
    utm_medium        String,
    utm_campaign      String,
    utm_term          String,
    utm_content       String,
    channel           String,
    device_type       String,
    browser_family    String,
    os_family         String,
    country           String,
    conversions       UInt32,
    conversion_names  Array(String),
    revenue           Decimal(18, 4),
    currency          String,
    converted         UInt8,
    bounce            UInt8,
    missing_events    UInt32,
    sdk_timeout_s     UInt32,
    close_reason      String
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_date)
ORDER BY (site, session_id, segment);

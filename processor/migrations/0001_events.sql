-- One row per clean event (docs/contracts/clean-event). A retried or
-- replayed insert writes the same key again and collapses on merge: the
-- sorting key ends in the event id and holds nothing that differs between a
-- retry and the original; the partition is the event's *device* date, which
-- a retry does not change. Count through FINAL or uniqExact(event_id).
CREATE TABLE IF NOT EXISTS events
(
    site              String,
    session_id        String,
    event_id          String,
    device_date       Date,
    device_ts_ms      UInt64,
    event_time_ms     UInt64,
    receive_time_ms   UInt64,
    time_source       String,
    type              String,
    name              String,
    anonymous_id      String,
    user_id           String,
    session_index     UInt32,
    seq               UInt32,
    tab_id            String,
    platform          String,
    url               String,
    url_host          String,
    url_path          String,
    url_query         String,
    title             String,
    referrer          String,
    referrer_host     String,
    referrer_medium   String,
    referrer_source   String,
    referrer_term     String,
    utm_source        String,
    utm_medium        String,
    utm_campaign      String,
    utm_term          String,
    utm_content       String,
    click_id          String,
    channel           String,
    browser_family    String,
    browser_version   String,
    os_family         String,
    os_version        String,
    device_family     String,
    device_type       String,
    country           String,
    ip                String,
    element_selector  String,
    element_href      String,
    scroll_depth      UInt8,
    value             Decimal(18, 4),
    currency          String,
    props             String,
    sdk_name          String,
    sdk_version       String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(device_date)
ORDER BY (site, session_id, event_id);

-- wrk script: POST the same batch v1 body to /v1/batch over keep-alive
-- connections, like a native app's SDK (no Origin).
--
--   BENCH_BODY=body.json wrk -s post_batch.lua URL     as fast as it goes
--   BENCH_BODY=body.json BENCH_RATE=R BENCH_THREADS=T wrk -t T -s post_batch.lua URL
--                                                      paced: R requests/s in all
--
-- Pacing: wrk 4.1 has no rate limit, so each of the T wrk threads hands out
-- send slots of a fixed schedule (R / T per second) through delay(): a
-- connection that is ready waits for the next free slot. The rate holds while
-- there are connections free to take the slots; the run script checks the
-- rate it got. wrk times a request from when it is sent, so the latency is
-- the collector's, not the wait for a slot.
--
-- done() prints one line, "WRK_JSON {…}", with the totals and the latency
-- percentiles in microseconds.
local path = os.getenv("BENCH_BODY") or error("BENCH_BODY: the body file")
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "DemoShop/2.4.1 (Linux; x86_64) clickstream-native/0.1.0"

local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate and rate > 0 then
    local ffi = require("ffi")
    ffi.cdef [[
      typedef struct { long tv_sec; long tv_nsec; } cs_timespec;
      int clock_gettime(int clock_id, cs_timespec* tp);
    ]]
    local ts = ffi.new("cs_timespec")
    local function now_ms()
        ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
        return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
    local interval = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / rate
    local next_slot = nil

    -- Milliseconds this connection waits before its next request.
    function delay()
        local now = now_ms()
        if not next_slot or next_slot < now then
            next_slot = now
        end
        local wait = next_slot - now
        next_slot = next_slot + interval
        return math.floor(wait)
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
        '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
        '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, latency.mean))
end

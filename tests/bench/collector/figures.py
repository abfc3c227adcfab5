#!/usr/bin/env python3
"""Turns the collector benchmark's raw measurements (written by `run`) into
the figures of docs/benchmarks.json (format: tests/bench/report.py).

  figures.py RAW.json OUT.json
"""
import datetime
import json
import statistics
import sys

raw_path, out_path = sys.argv[1], sys.argv[2]
with open(raw_path) as f:
    raw = json.load(f)

runs = raw["runs"]
events = raw["events_per_batch"]
body = raw["body_bytes"]
conns = raw["connections"]


def series(kind, get):
    return [get(r["result"]) for r in runs if r["kind"] == kind]


ceiling = series("ceiling", lambda r: r["msgs_per_s"])
ceiling_cpu = series("ceiling", lambda r: r["cpu_ms_per_1000"])
peer = series("peer", lambda r: r["records_per_s"])
peak_rps = series("peak", lambda r: r["rps"])
peak_p50 = series("peak", lambda r: r["latency_us"]["p50"] / 1000)
peak_p99 = series("peak", lambda r: r["latency_us"]["p99"] / 1000)
peak_cpu = series("peak", lambda r: r["collector_cpu_ms"] * 1000 / r["requests"])
wrk_cpu = series("peak", lambda r: r["wrk_cpu_ms"] * 1000 / r["requests"])
half_p50 = series("half", lambda r: r["latency_us"]["p50"] / 1000)
half_p99 = series("half", lambda r: r["latency_us"]["p99"] / 1000)
half_got = series("half", lambda r: r["rps"] / r["target_rate"])
# librdkafka alone paced at the same half load (runs made before it have none).
ceiling_half_p50 = series("ceiling_half", lambda r: r["latency_us"]["p50"] / 1000)
ceiling_half_p99 = series("ceiling_half", lambda r: r["latency_us"]["p99"] / 1000)
spooled = sum(r["result"].get("spooled", 0) for r in runs if r["kind"] in ("peak", "half"))
bad = sum(r["result"]["errors"]["status"] + r["result"]["errors"]["timeout"]
          for r in runs if r["kind"] in ("peak", "half"))
ramp = [(r["result"]["connections"], r["result"]["rps"]) for r in runs if r["kind"] == "ramp"]

med = statistics.median
today = datetime.date.today().isoformat()


def figure(measure, values, unit, better, reference=None, notes=None, digits=1):
    f = {"area": "collector", "measure": measure, "median": round(med(values), digits),
         "spread": round((max(values) - min(values)) / 2, digits), "unit": unit,
         "runs": len(values), "better": better, "command": "scripts/bench collector",
         "date": today}
    if reference:
        f["reference"] = reference
    if notes:
        f["notes"] = notes
    return f


s = raw["producer_settings"]
settings = (f"acks=all, idempotence, linger.ms={s.get('queue.buffering.max.ms')}, "
            f"batch.size={s.get('batch.size')}, compression {s.get('compression.codec')}")
ceiling_ref = {"kind": "ceiling", "name": "librdkafka alone, same messages and producer settings",
               "value": round(med(ceiling), 1)}
ratio = med(peak_rps) / med(ceiling)
peak_notes = (
    f"The real collector (2 I/O threads) on 127.0.0.1, driven by wrk (2 threads, {conns} keep-alive "
    f"connections, the most productive of a ramp) posting the same {events}-event batch v1 "
    f"({body:,} bytes, no Origin, as a native app) to a topic of {raw['partitions']} partitions on the "
    f"stack's Kafka; each answer waits for Kafka's acknowledgement. {ratio:.0%} of the ceiling "
    f"(goal: 70%). The ceiling is `collector_ceiling`: librdkafka producing the same body and "
    f"contract headers, unkeyed, with the collector's producer settings read from the same config "
    f"({settings}), as fast as its queue takes them, until every delivery report. "
    f"Batches spooled instead of acknowledged: {spooled}; non-2xx or timed-out answers: {bad}."
)
def cores(key):
    return med([r["result"][key] / r["result"]["duration_us"] * 1000
                for r in runs if r["kind"] == "peak"])


busy = med(series("peak", lambda r: r.get("machine_busy", 0)))
cpu_per_req_us = med(peak_cpu)  # ms per 1,000 requests = µs per request
peak_notes += (
    f" At peak the machine's {raw.get('cores', 2)} cores were {busy:.0%} busy; the collector used "
    f"{cores('collector_cpu_ms'):.2f} cores, the broker {cores('broker_cpu_ms'):.2f}, wrk "
    f"{cores('wrk_cpu_ms'):.2f}, the rest was other work on the machine. What bounds it: CPU per "
    f"request. The collector spends {cpu_per_req_us:.0f} µs of CPU per request where librdkafka "
    f"alone spends {med(ceiling_cpu):.1f} µs per message, so with the same share of a busy "
    f"machine it makes about {med(ceiling_cpu) / cpu_per_req_us:.0%} of the ceiling's rate; wrk, "
    f"on the same 2 cores, spends {med(wrk_cpu):.0f} µs per request more. A perf profile at peak "
    f"(2026-11-26, after the session works on its concrete strand, parses what its first read "
    f"brought without further asynchronous reads, and answers delivery reports in one post per "
    f"burst) puts librdkafka and lz4 at about 9% of the collector's CPU; the rest is per-request "
    f"HTTP work: the kernel's loopback TCP and epoll (~33%), glibc malloc/free (~19%, about a "
    f"tenth less CPU per request with jemalloc preloaded), copies (~4%), and Beast parsing and "
    f"serialising, Asio scheduling and shared_ptr counts (~29%). Latency per request is "
    f"linger.ms plus the acks=all round trip (p50 "
    f"{med(half_p50):.1f} ms at half load), so one keep-alive connection carries at most "
    f"~{1000 / med(half_p50):.0f} requests/s and the peak needs hundreds of connections."
)
if ramp:
    peak_notes += " Ramp (connections → requests/s): " + ", ".join(
        f"{c} → {r:,.0f}" for c, r in ramp) + "."

figures = [
    figure("requests/s at peak (wrk, keep-alive, 10-event batch)", peak_rps, "req/s", "higher",
           ceiling_ref, peak_notes, 0),
    figure("events/s at peak", [r * events for r in peak_rps], "events/s", "higher",
           dict(ceiling_ref, value=round(med(ceiling) * events, 1),
                name="librdkafka alone, same messages and producer settings (×10 events)"), None, 0),
    figure("requests/s at peak, against Kafka's producer-perf-test", peak_rps, "req/s", "higher",
           {"kind": "peer", "name": "ProducerPerformance (Java client), same bytes and settings",
            "value": round(med(peer), 1)},
           "kafka-producer-perf-test (`org.apache.kafka.tools.ProducerPerformance`, Kafka 3.9.1) "
           "with `--payload-file` (the same body bytes) and `--throughput -1`, "
           f"`--producer-props` {settings} (batch.size set to librdkafka's so batching matches); "
           "records as many as the ceiling sent in the same time. It sends the body alone, without "
           "the contract's 8 headers (~220 bytes) that the collector and the ceiling add, and its "
           "JVM runs many threads, which take a larger share of a contended machine. "
           "`--record-size` instead sends random letters, which lz4 barely compresses: another "
           "message (a fifth of the rate in a trial on this machine).", 0),
    figure("librdkafka alone (the ceiling), messages/s", ceiling, "msg/s", "higher",
           {"kind": "peer", "name": "ProducerPerformance (Java client), same bytes and settings",
            "value": round(med(peer), 1)}, None, 0),
    figure("latency p50 at peak", peak_p50, "ms", "lower"),
    figure("latency p99 at peak", peak_p99, "ms", "lower"),
    figure("latency p99 at half of peak (paced)", half_p99, "ms", "lower",
           {"kind": "goal", "name": "issue 5: p99 under 20 ms at half of peak", "value": 20.0},
           f"wrk paced by post_batch.lua's delay() at half of the same round's peak over the same "
           f"{conns} connections; it got {min(half_got):.0%}–{max(half_got):.0%} of the rate it "
           f"aimed at. The floor under any latency here is linger.ms "
           f"({s.get('queue.buffering.max.ms')} ms) plus the broker's acks=all round trip."),
]
if ceiling_half_p99:
    figures.append(figure(
        "latency p99 at half of peak, against librdkafka alone at the same rate", half_p99, "ms",
        "lower",
        {"kind": "ceiling", "name": "librdkafka alone paced at the same rate, produce → report p99",
         "value": round(med(ceiling_half_p99), 1)},
        f"Each round after the collector's half-load run, `collector_ceiling --rate` produces the "
        f"same messages with the same producer settings at the same rate (half of that round's "
        f"peak) for as long, a thread of its own serving the delivery reports as the collector's "
        f"producer does; its latency is produce → delivery report. librdkafka alone: p50 "
        f"{med(ceiling_half_p50):.1f} ms, p99 {med(ceiling_half_p99):.1f} ms; the collector (wrk's "
        f"send → answer): p50 {med(half_p50):.1f} ms, p99 {med(half_p99):.1f} ms. What librdkafka "
        f"alone shows is the floor that linger.ms ({s.get('queue.buffering.max.ms')} ms), the "
        f"broker's acks=all round trip and the machine's waits put under any answer here."))
figures += [
    figure("collector CPU per 1,000 requests at peak", peak_cpu, "ms", "lower",
           {"kind": "ceiling", "name": "librdkafka alone, CPU per 1,000 messages",
            "value": round(med(ceiling_cpu), 2)},
           "user + system time of the collector process (/proc/<pid>/stat) over the run, "
           "against the ceiling process's own (getrusage).", 2),
    figure("wrk's own CPU per 1,000 requests at peak (the load generator, same cores)", wrk_cpu,
           "ms", "lower",
           {"kind": "ceiling", "name": "librdkafka alone, CPU per 1,000 messages",
            "value": round(med(ceiling_cpu), 2)},
           "user + system time of wrk (/usr/bin/time) over the peak run: CPU that the collector's "
           "rate pays on a 2-core machine and the ceiling, which generates its messages in "
           "process, does not. The kernel's loopback TCP work is split between wrk and the "
           "collector.", 2),
]
# The load sweep (paced steps after the rounds): throughput and latency
# against the offered load, as plots (series) beside the tables.
sweep = sorted(((r["percent"], r["result"]) for r in runs if r["kind"] == "sweep"),
               key=lambda p: p[0])
if sweep:
    offered = [(pct, r["target_rate"], r) for pct, r in sweep]
    at = {pct: r for pct, _, r in offered}
    top = at.get(100, offered[-1][2])
    mid = at.get(50, offered[len(offered) // 2][2])
    steps = ", ".join(
        f"{pct}% ({rate:,} offered) → {r['rps']:,.0f} req/s, p50 {r['latency_us']['p50'] / 1000:.1f} "
        f"ms, p99 {r['latency_us']['p99'] / 1000:.1f} ms" for pct, rate, r in offered)
    sweep_notes = (f"wrk paced by post_batch.lua at {', '.join(str(p) for p, _, _ in offered)}% "
                   f"of the rounds' median peak over {conns} connections, one run per step after "
                   f"the rounds: {steps}.")
    figures.append(dict(
        figure("load sweep: requests/s achieved at 100% of peak offered", [top["rps"]], "req/s",
               "higher", ceiling_ref, sweep_notes, 0),
        series={"x": "requests/s offered", "y": "requests/s achieved",
                "lines": {"ours": [[rate, round(r["rps"])] for _, rate, r in offered],
                          "ceiling (librdkafka alone)": [[rate, round(med(ceiling))]
                                                         for _, rate, _ in offered]}}))
    figures.append(dict(
        figure("load sweep: latency p99 at 50% of peak offered", [mid["latency_us"]["p99"] / 1000],
               "ms", "lower",
               {"kind": "goal", "name": "issue 5: p99 under 20 ms at half of peak", "value": 20.0},
               None),
        series={"x": "requests/s offered", "y": "latency (ms)",
                "lines": {"p50": [[rate, r["latency_us"]["p50"] / 1000] for _, rate, r in offered],
                          "p99": [[rate, r["latency_us"]["p99"] / 1000] for _, rate, r in offered],
                          "goal: p99 20 ms": [[rate, 20.0] for _, rate, _ in offered]}}))

with open(out_path, "w") as fh:
    json.dump(figures, fh, indent=2, ensure_ascii=False)
    fh.write("\n")

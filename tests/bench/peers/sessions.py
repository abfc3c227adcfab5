#!/usr/bin/env python3
"""Sessionization side by side: clickstream-sessionize against a Kafka Streams
application with session windows of the same gap, over the same clean topic.

  sessions.py OUT.json [--quick]

1. Makes a clean topic the way production does: the traffic generator
   (historical mode, fixed seed) through the real collector and enrich stage
   into topics of this run's own, then ends each partition with two marker
   events (END_PREFIX, below) so that both sides close every session.
2. Runs each side alone on that topic from the start, each repetition with
   its own consumer group / application id, state, ClickHouse database or
   output topic: ours into a database, the peer into a sessions topic.
   Measures wall time from its first event to its last, CPU seconds of its
   process over that span (/proc), and its peak RSS (VmHWM).
3. Compares the sessions themselves, in every repetition: every session, by
   session id and start, on its end and its event count; differences are
   listed with their kind.

Both sides close a session in event time, when their watermark / stream
time (per partition) passes its last event + gap + lateness; traffic that
simply stops leaves its last hour of sessions open on both sides. The first
marker of each partition lies far past the traffic and closes all of them;
the second closes the first's session, and each side is done when it has
written the first markers' sessions of every partition (each writes closed
sessions in the order they close). The markers' own sessions are left out
of every count.

Needs: the local stack (scripts/stack up), a build (CLICKSTREAM_BUILD_DIR) and
the peer built by tests/bench/peers/setup. Writes figures in the format of
tests/bench/report.py to OUT.json and the raw comparison beside it.
"""
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.environ.get("CLICKSTREAM_BUILD_DIR", os.path.join(ROOT, "build"))
VAR = os.environ.get("CLICKSTREAM_VAR", os.path.join(ROOT, "var"))
KAFKA = os.environ.get("CLICKSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:" + os.environ.get("CLICKSTREAM_KAFKA_PORT", "19092"))
CLICKHOUSE = os.environ.get("CLICKSTREAM_CLICKHOUSE_URL",
                            "http://127.0.0.1:" + os.environ.get("CLICKSTREAM_CLICKHOUSE_HTTP_PORT", "18123"))
# Bare librdkafka for reading and producing (tests/support/tools/kafka_tool.cpp).
KAFKA_TOOL = os.environ.get("CLICKSTREAM_KAFKA_TOOL", os.path.join(BUILD, "tests", "support", "test_kafka_tool"))
PEER_DIR = os.path.join(ROOT, "tests", "bench", "peers", "kafka-streams", "target")
GAP_S = 1800
# Historical traffic reaches the topic up to minutes out of event-time order
# (the generator's visitors run side by side), so both sides get the same
# hour of lateness (our allowed_lateness_s, the peer's grace).
LATENESS_S = 3600
PARTITIONS = 4
# Marker session ids: END_PREFIX + "1-<partition>" closes the traffic's
# sessions, END_PREFIX + "2-<partition>" closes that one. Their event times:
# a month after the generated week, and a day after that (both > gap + lateness).
END_PREFIX = "bench-end-"
END_MS = (1769904000000, 1769990400000)  # 2026-02-01, 2026-02-02 UTC
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[peers/sessions] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def metric(url, name, label=""):
    """Sum of a Prometheus series over its labels (those holding `label` when
    given), with or without the clickstream_ prefix; 0 when absent."""
    total = 0.0
    for line in http_get(url).splitlines():
        for full in (name, "clickstream_" + name):
            if line.startswith(full) and line[len(full)] in " {" and label in line.split(" ")[0]:
                total += float(line.rsplit(" ", 1)[1])
    return total


def clickhouse(sql, database=None):
    q = {"query": sql}
    if database:
        q["database"] = database
    req = urllib.request.Request(CLICKHOUSE + "/?" + urllib.parse.urlencode(q), data=b"")
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read().decode()


def cpu_seconds(pid):
    """utime + stime of the process and its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def topic_command(*args):
    return subprocess.run(["java", "-cp", os.path.join(VAR, "kafka", "libs", "*"),
                           "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", KAFKA, *args],
                          capture_output=True, text=True)


def create_topic(name, *configs):
    r = topic_command("--create", "--topic", name, "--partitions", str(PARTITIONS), "--replication-factor", "1",
                      *(a for c in configs for a in ("--config", c)))
    if r.returncode != 0:
        raise SystemExit(f"creating topic {name} failed:\n{r.stdout}{r.stderr}")


def delete_topics(pattern):
    """This run's own topics only (a name or a regular expression over names)."""
    topic_command("--delete", "--if-exists", "--topic", pattern)


def end_offsets(topic):
    """{partition: end offset}."""
    r = subprocess.run(["java", "-cp", os.path.join(VAR, "kafka", "libs", "*"), "org.apache.kafka.tools.GetOffsetShell",
                        "--bootstrap-server", KAFKA, "--topic", topic, "--time", "-1"],
                       check=True, capture_output=True, text=True)
    return {int(p): int(o) for _, p, o in (line.rsplit(":", 2) for line in r.stdout.split())}


def read_topic(name):
    tool = KAFKA_TOOL
    out = subprocess.run([tool, KAFKA, "read", name], check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["value"] for line in out.splitlines() if line.strip()]


def first_event(topic):
    """The topic's first message, without reading the rest."""
    tool = KAFKA_TOOL
    with subprocess.Popen([tool, KAFKA, "read", topic], stdout=subprocess.PIPE, text=True) as p:
        line = p.stdout.readline()
        p.kill()
    return json.loads(json.loads(line)["value"])


def partition_key(partition, prefix):
    """A key the producer's default partitioner (librdkafka's consistent_random:
    CRC-32 of the key modulo the partition count) puts on `partition`."""
    n = 0
    while zlib.crc32(f"{prefix}{partition}-{n}".encode()) % PARTITIONS != partition:
        n += 1
    return f"{prefix}{partition}-{n}"


def append_end_markers(topic):
    """Two marker events at the end of every partition (END_PREFIX, END_MS):
    a copy of the topic's first clean event with its own session, times and ids."""
    template = first_event(topic)
    before = end_offsets(topic)
    lines = []
    for marker, at_ms in enumerate(END_MS, 1):
        for partition in range(PARTITIONS):
            key = partition_key(partition, f"{END_PREFIX}{marker}-")
            day = datetime.datetime.fromtimestamp(at_ms / 1000, datetime.timezone.utc).date().isoformat()
            event = dict(template, session_id=key, event_id=f"{key}-event", anonymous_id=key, tab_id=key,
                         device_ts_ms=at_ms, event_time_ms=at_ms, sent_at_ms=at_ms, device_date=day, seq=1,
                         session_index=1, type="custom", name="bench_end", request_id=key)
            lines.append(f"{key}\t{json.dumps(event)}\n")
    subprocess.run([KAFKA_TOOL, KAFKA, "produce", topic],
                   input="".join(lines), check=True, capture_output=True, text=True)
    after = end_offsets(topic)
    if any(after[p] - before[p] != len(END_MS) for p in range(PARTITIONS)):
        raise SystemExit(f"end markers did not land {len(END_MS)} per partition: {before} -> {after}")


def is_marker(session_id):
    return session_id.startswith(END_PREFIX)


def start(cmd, log_path, **kw):
    fh = open(log_path, "w")
    return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, **kw)


def wait_for(what, cond, timeout, every=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if cond():
                return
        except Exception:  # a service still starting refuses its metrics
            pass
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_clean_topic(run_dir, stamp, quick):
    """raw → clean through the real collector and enrich stage; returns (topic, clean events)."""
    topics = {k: f"bench.{k}.{stamp}" for k in ("raw", "clean", "bots", "dlq")}
    for t in topics.values():
        create_topic(t)
    cport, aport, eport = free_port(), free_port(), free_port()
    collector_cfg = {
        "log_level": "warn", "http": {"enabled": True, "address": "127.0.0.1", "port": cport},
        "admin": {"address": "127.0.0.1", "port": aport},
        "kafka": {"brokers": KAFKA, "topic": topics["raw"]},
        "spool": {"dir": os.path.join(run_dir, "spool")},
        "sites": {"bench": {"origins": ["https://shop.example"], "allow_no_origin": True,
                            "session_timeout_s": GAP_S, "flush_interval_ms": 2000, "set_cookie": False}},
    }
    enrich_cfg = {
        "log_level": "warn", "http": {"address": "127.0.0.1", "port": eport},
        "kafka": {"brokers": KAFKA, "group_id": f"bench-enrich-{stamp}", "client_id": "bench-enrich"},
        "topics": topics, "sites": {"bench": {"domains": ["shop.example"]}},
    }
    for name, cfg in (("collector", collector_cfg), ("enrich", enrich_cfg)):
        with open(os.path.join(run_dir, f"{name}.json"), "w") as f:
            json.dump(cfg, f)
    collector = start([os.path.join(BUILD, "collector", "clickstream-collector"), "--config",
                       os.path.join(run_dir, "collector.json")], os.path.join(run_dir, "collector.log"))
    enrich = start([os.path.join(BUILD, "processor", "clickstream-processor"), "enrich", "--config",
                    os.path.join(run_dir, "enrich.json")], os.path.join(run_dir, "enrich.log"),
                   env=dict(os.environ, CLICKSTREAM_ROOT=ROOT))
    try:
        wait_for("collector", lambda: http_get(f"http://127.0.0.1:{cport}/readyz") is not None, 60)
        wait_for("enrich", lambda: http_get(f"http://127.0.0.1:{eport}/healthz") is not None, 60)
        visitors = "2000" if quick else "20000"
        log(f"generating 7 days of traffic from {visitors} visitors through collector and enrich")
        subprocess.run([os.path.join(BUILD, "examples", "traffic-gen", "clickstream-traffic-gen"),
                        "--collector", f"http://127.0.0.1:{cport}", "--site", "bench", "--mode", "historical",
                        "--days", "7", "--visitors", visitors, "--start", "2026-01-05", "--seed", "11",
                        "--session-timeout", str(GAP_S), "--bot-share", "0.05",
                        "--ground-truth", os.path.join(run_dir, "truth.jsonl")], check=True,
                       env=dict(os.environ, CLICKSTREAM_ROOT=ROOT))
        # Every batch the generator sent is acked by Kafka or spooled (then
        # replayed to Kafka in the background): the raw topic is complete once
        # the spool has been replayed.
        cm = f"http://127.0.0.1:{aport}/metrics"

        def spool_replayed():
            return metric(cm, "collector_spool_replayed_total") >= metric(cm, "collector_batches_total",
                                                                          'outcome="spooled"')

        wait_for("the collector to replay its spool", spool_replayed, 600, 1)
        batches = (metric(cm, "collector_batches_total", 'outcome="acked"') +
                   metric(cm, "collector_spool_replayed_total"))
        wait_for("enrich to drain the raw topic",
                 lambda: metric(f"http://127.0.0.1:{eport}/metrics", "enrich_batches_in_total") >= batches, 600, 1)
        time.sleep(2)  # the last transaction's commit
        clean = metric(f"http://127.0.0.1:{eport}/metrics", "enrich_events_out_total", f'topic="{topics["clean"]}"')
        log(f"{int(batches)} batches in, {int(clean)} clean events on {topics['clean']}")
    finally:
        stop(enrich)
        stop(collector)
    if clean == 0:
        raise SystemExit(f"no clean events came out of the enrich stage: see {run_dir}/enrich.log")
    return topics["clean"], int(clean)


def follow(proc, what, done, first):
    """Waits for the first event (first()) and the last (done()); returns wall, CPU, peak RSS."""
    # Start-up (a JVM, a consumer group's first rebalance) takes minutes on a loaded machine.
    wait_for(f"{what}'s first event", first, 600, 0.05)
    t0, c0 = time.time(), cpu_seconds(proc.pid)
    wait_for(f"{what} to process every event", done, 1800, 0.1)
    t1, c1 = time.time(), cpu_seconds(proc.pid)
    return t1 - t0, c1 - c0, peak_rss_mib(proc.pid)


def run_ours(run_dir, stamp, rep, topic, events):
    """One repetition: its own consumer group, ClickHouse database and logs."""
    db, port = f"bench_sessions_{stamp}_{rep}", free_port()
    clickhouse(f"CREATE DATABASE {db}")
    subprocess.run([os.path.join(ROOT, "scripts", "migrate"), "--database", db, "--url", CLICKHOUSE], check=True,
                   stdout=subprocess.DEVNULL)
    cfg = {
        "kafka": {"brokers": KAFKA, "group_id": f"bench-sessionize-{stamp}-{rep}", "topic": topic},
        "clickhouse": {"url": CLICKHOUSE, "database": db},
        "sessions": {"default_timeout_s": GAP_S, "allowed_lateness_s": LATENESS_S, "idle_timeout_s": 86400,
                     "max_length_s": 86400 * 30, "max_pages": 200},
        "batch": {"max_events": 5000, "interval_ms": 1000},
        "http": {"address": "127.0.0.1", "port": port}, "log_level": "warn",
    }
    cfg_path = os.path.join(run_dir, f"sessionize-{rep}.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    proc = start([os.path.join(BUILD, "processor", "clickstream-sessionize"), "--config", cfg_path],
                 os.path.join(run_dir, f"sessionize-{rep}.log"))
    m = f"http://127.0.0.1:{port}/metrics"
    try:
        wall, cpu, rss = follow(proc, "clickstream-sessionize", lambda: metric(m, "sessionize_events_total") >= events,
                                lambda: metric(m, "sessionize_events_total") > 0)
        # Rows are written in the order sessions close: once every partition's
        # first marker session is in ClickHouse, so is every traffic session.
        wait_for("every session in ClickHouse", lambda: int(clickhouse(
            f"SELECT count() FROM sessions FINAL WHERE session_id LIKE '{END_PREFIX}1-%' AND events > 0 "
            f"AND close_reason = 'gap'", db)) >= PARTITIONS, 300, 0.5)
    finally:
        stop(proc)
    try:
        rows = clickhouse("SELECT session_id, toUInt64(start_ms), toUInt64(end_ms), events, close_reason "
                          "FROM sessions FINAL WHERE events > 0 FORMAT TSV", db)
    finally:
        clickhouse(f"DROP DATABASE {db}")
    sessions, idle = {}, 0
    for line in rows.splitlines():
        sid, start_ms, end_ms, n, reason = line.split("\t")
        if is_marker(sid):
            continue
        idle += reason == "idle"  # provisional: the window was still open (none expected)
        sessions[(sid, int(start_ms))] = (int(end_ms), int(n))
    if idle:
        log(f"ours: {idle} sessions still open (provisional rows)")
    return wall, cpu, rss, sessions


def run_peer(run_dir, stamp, rep, topic, events):
    """One repetition: its own application id (so consumer group and internal
    topics), state directory, output topic and log; its topics are deleted after."""
    app_id = f"bench-ks-{stamp}-{rep}"
    out_topic = f"bench.ks-sessions.{stamp}-{rep}"
    # The sessions carry their windows' event times (January 2026) as record
    # timestamps: under the broker's time retention (7 days) such records are
    # deleted at its next retention check, within minutes. The broker's append
    # time keeps them for the comparison.
    create_topic(out_topic, "message.timestamp.type=LogAppendTime")
    cp = os.path.join(PEER_DIR, "clickstream-bench-kafka-streams-1.jar") + ":" + os.path.join(PEER_DIR, "lib", "*")
    state = tempfile.mkdtemp(prefix=f"ks-state-{rep}-", dir=run_dir)
    log_path = os.path.join(run_dir, f"kafka-streams-{rep}.log")
    proc = start(["java", "-cp", cp, "dev.clickstream.bench.SessionsApp", KAFKA, topic, out_topic, app_id,
                  str(GAP_S * 1000), str(LATENESS_S * 1000), state, str(os.cpu_count()), END_PREFIX + "1-"],
                 log_path)

    def progress():
        """(events read, first-marker sessions handed to the producer)."""
        n = (0, 0)
        with open(log_path) as f:
            for line in f:
                if line.startswith("processed "):
                    w = line.split()
                    n = (int(w[1]), int(w[3]))
        return n

    try:
        try:
            wall, cpu, rss = follow(proc, "Kafka Streams", lambda: progress()[0] >= events,
                                    lambda: progress()[0] > 0)
            # Closed windows reach suppression when the record cache flushes, at
            # the next commit (commit.interval.ms, 30 s by default).
            wait_for("every Kafka Streams session to close", lambda: progress()[1] >= PARTITIONS, 300, 0.5)
        finally:
            stop(proc)  # close(): flushes the producer
        if proc.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
            raise SystemExit(f"Kafka Streams exited with {proc.returncode}: see {log_path}")
        sessions = {}
        for value in read_topic(out_topic):
            s = json.loads(value)
            if not is_marker(s["session_id"]):
                sessions[(s["session_id"], s["start_ms"])] = (s["end_ms"], s["events"])
    finally:
        delete_topics(out_topic)
        delete_topics(app_id + "-.*")  # its changelog topics
    return wall, cpu, rss, sessions


def compare(ours, peer):
    both = set(ours) & set(peer)
    agree = [k for k in both if ours[k] == peer[k]]
    diffs = [{"session": k[0], "start_ms": k[1], "ours": ours[k], "peer": peer[k]} for k in both if ours[k] != peer[k]]
    only_ours = sorted(set(ours) - set(peer))
    only_peer = sorted(set(peer) - set(ours))
    return {"ours": len(ours), "peer": len(peer), "both": len(both), "identical": len(agree),
            "different": diffs[:50], "different_count": len(diffs), "only_ours": only_ours[:50],
            "only_ours_count": len(only_ours), "only_peer": only_peer[:50], "only_peer_count": len(only_peer)}


def main():
    out = sys.argv[1]
    quick = "--quick" in sys.argv
    needed = [os.path.join(BUILD, "collector", "clickstream-collector"),
              os.path.join(BUILD, "processor", "clickstream-processor"),
              os.path.join(BUILD, "processor", "clickstream-sessionize"),
              os.path.join(BUILD, "examples", "traffic-gen", "clickstream-traffic-gen"), KAFKA_TOOL,
              os.path.join(PEER_DIR, "clickstream-bench-kafka-streams-1.jar")]
    missing = [f for f in needed if not os.path.exists(f)]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: build them (and tests/bench/peers/setup for the peer)")
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    run_dir = os.path.join(os.path.dirname(os.path.abspath(out)), f"peers-sessions-{stamp}")
    os.makedirs(run_dir)
    try:
        topic, traffic = make_clean_topic(run_dir, stamp, quick)
        append_end_markers(topic)
        events = traffic + len(END_MS) * PARTITIONS  # what each side reads
        runs = 1 if quick else 3
        ours_runs, peer_runs, agreements = [], [], []
        for i in range(runs):
            log(f"[{i + 1}/{runs}] clickstream-sessionize over {events} events")
            ours_runs.append(run_ours(run_dir, stamp, i, topic, events))
            log(f"[{i + 1}/{runs}] ours: {events / ours_runs[-1][0]:.0f} events/s wall, "
                f"{events / max(ours_runs[-1][1], 1e-9):.0f} per CPU-second, peak RSS {ours_runs[-1][2]:.0f} MiB, "
                f"{len(ours_runs[-1][3])} sessions")
            log(f"[{i + 1}/{runs}] Kafka Streams over {events} events")
            peer_runs.append(run_peer(run_dir, stamp, i, topic, events))
            log(f"[{i + 1}/{runs}] peer: {events / peer_runs[-1][0]:.0f} events/s wall, "
                f"{events / max(peer_runs[-1][1], 1e-9):.0f} per CPU-second, peak RSS {peer_runs[-1][2]:.0f} MiB, "
                f"{len(peer_runs[-1][3])} sessions")
            agreements.append(compare(ours_runs[-1][3], peer_runs[-1][3]))
            a = agreements[-1]
            log(f"[{i + 1}/{runs}] sessions: ours {a['ours']}, peer {a['peer']}, identical {a['identical']}, "
                f"different {a['different_count']}, only ours {a['only_ours_count']}, "
                f"only peer {a['only_peer_count']}")
    finally:
        delete_topics(f"bench\\.(raw|clean|bots|dlq)\\.{stamp}")
    # Every repetition must see the same sessions on each side: a repetition
    # that resumed another's offsets or state would not.
    repeatable = {"ours": all(r[3] == ours_runs[0][3] for r in ours_runs),
                  "peer": all(r[3] == peer_runs[0][3] for r in peer_runs)}
    agreement = min(agreements, key=lambda a: a["identical"] / max(a["ours"], a["peer"], 1))
    with open(os.path.join(run_dir, "comparison.json"), "w") as f:
        json.dump({"repetitions_identical": repeatable, "per_repetition": agreements}, f, indent=1)
    log(f"every repetition the same sessions: ours {repeatable['ours']}, peer {repeatable['peer']} "
        f"(details: {os.path.relpath(run_dir, ROOT)}/comparison.json)")

    def spread(values):
        return round((max(values) - min(values)) / 2, 1)

    def fig(measure, ours_values, peer_values, unit, better, notes):
        peer_median = statistics.median(peer_values)
        return {"area": "peers", "measure": measure, "median": round(statistics.median(ours_values), 1),
                "spread": spread(ours_values), "unit": unit, "runs": len(ours_values), "better": better,
                "reference": {"kind": "peer", "name": f"Kafka Streams 3.9.1 session windows (spread "
                                                      f"{spread(peer_values)})", "value": round(peer_median, 1)},
                "command": "scripts/bench peers", "date": datetime.date.today().isoformat(), "notes": notes}

    common = (f"{traffic:,} clean events from the traffic generator (7 days, {'2,000' if quick else '20,000'} "
              f"visitors, seed 11) via the collector and enrich stage, and {events - traffic} end markers; "
              f"{PARTITIONS} partitions, gap {GAP_S} s, lateness/grace {LATENESS_S} s; each side alone from the "
              f"start of the topic, each repetition with its own group, state and output; from its first event "
              f"to its last.")
    figures = [
        fig("sessionize vs Kafka Streams: events per CPU-second", [events / r[1] for r in ours_runs],
            [events / r[1] for r in peer_runs], "events/s", "higher",
            common + " CPU = utime+stime of the process over that span (ours includes its ClickHouse "
                     "inserts; the peer's output goes to a topic). Goal (issue 13): 3x the peer."),
        fig("sessionize vs Kafka Streams: events/s, wall clock", [events / r[0] for r in ours_runs],
            [events / r[0] for r in peer_runs], "events/s", "higher", common),
        fig("sessionize vs Kafka Streams: peak RSS", [r[2] for r in ours_runs], [r[2] for r in peer_runs],
            "MiB", "lower", common + " VmHWM of the process; the peer's JVM with its default heap settings."),
        {"area": "peers", "measure": "sessionize vs Kafka Streams: sessions identical (id, start, end, events)",
         "median": round(100.0 * agreement["identical"] / max(agreement["ours"], agreement["peer"], 1), 2),
         "spread": 0, "unit": "%", "runs": runs, "better": "higher",
         "command": "scripts/bench peers", "date": datetime.date.today().isoformat(),
         "notes": f"every session of the traffic, the end markers closing the last ones on both sides; the "
                  f"lowest of {runs} repetition(s): ours {agreement['ours']:,}, peer {agreement['peer']:,}, "
                  f"identical {agreement['identical']:,}; different {agreement['different_count']}, only ours "
                  f"{agreement['only_ours_count']}, only peer {agreement['only_peer_count']}. Each side gave the "
                  f"same sessions in every repetition: ours {'yes' if repeatable['ours'] else 'NO'}, peer "
                  f"{'yes' if repeatable['peer'] else 'NO'}. Differences listed in "
                  f"var/bench/.../comparison.json."},
    ]
    with open(out, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

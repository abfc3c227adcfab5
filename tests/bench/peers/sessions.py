#!/usr/bin/env python3
"""Sessionization side by side: clickstream-sessionize against a Kafka Streams
application with session windows of the same gap, over the same clean topic.

  sessions.py OUT.json [--quick]

1. Makes a clean topic the way production does: the traffic generator
   (historical mode, fixed seed) through the real collector and enrich stage
   into topics of this run's own.
2. Runs each side alone on that topic from the start, with a fresh consumer
   group: ours into a ClickHouse database of this run's own, the peer into a
   sessions topic. Measures wall time from its first event to its last, CPU
   seconds of its process over that span (/proc), and its peak RSS (VmHWM).
3. Compares the sessions themselves: every session both sides closed, by
   session id and start, on its end and its event count; differences are
   listed with their kind.

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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.environ.get("CLICKSTREAM_BUILD_DIR", os.path.join(ROOT, "build"))
VAR = os.environ.get("CLICKSTREAM_VAR", os.path.join(ROOT, "var"))
KAFKA = os.environ.get("CLICKSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:" + os.environ.get("CLICKSTREAM_KAFKA_PORT", "19092"))
CLICKHOUSE = os.environ.get("CLICKSTREAM_CLICKHOUSE_URL",
                            "http://127.0.0.1:" + os.environ.get("CLICKSTREAM_CLICKHOUSE_HTTP_PORT", "18123"))
PEER_DIR = os.path.join(ROOT, "tests", "bench", "peers", "kafka-streams", "target")
GAP_S = 1800
# Historical traffic reaches the topic up to minutes out of event-time order
# (the generator's visitors run side by side), so both sides get the same
# hour of lateness (our allowed_lateness_s, the peer's grace).
LATENESS_S = 3600
PARTITIONS = 4
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


def create_topic(name):
    r = subprocess.run(["java", "-cp", os.path.join(VAR, "kafka", "libs", "*"), "org.apache.kafka.tools.TopicCommand",
                    "--bootstrap-server", KAFKA, "--create", "--topic", name, "--partitions", str(PARTITIONS),
                    "--replication-factor", "1"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"creating topic {name} failed:\n{r.stdout}{r.stderr}")


def read_topic(name):
    tool = os.path.join(BUILD, "tests", "e2e", "e2e_kafka_tool")
    out = subprocess.run([tool, KAFKA, "read", name], check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["value"] for line in out.splitlines() if line.strip()]


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
    cport, eport = free_port(), free_port()
    collector_cfg = {
        "log_level": "warn", "http": {"enabled": True, "address": "127.0.0.1", "port": cport},
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
        batches = metric(f"http://127.0.0.1:{cport}/metrics", "collector_batches_total", 'outcome="acked"')
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
    wait_for(f"{what}'s first event", first, 120, 0.05)
    t0, c0 = time.time(), cpu_seconds(proc.pid)
    wait_for(f"{what} to process every event", done, 1800, 0.1)
    t1, c1 = time.time(), cpu_seconds(proc.pid)
    return t1 - t0, c1 - c0, peak_rss_mib(proc.pid)


def run_ours(run_dir, stamp, topic, events):
    db, port = f"bench_sessions_{stamp}", free_port()
    clickhouse(f"CREATE DATABASE {db}")
    subprocess.run([os.path.join(ROOT, "scripts", "migrate"), "--database", db, "--url", CLICKHOUSE], check=True,
                   stdout=subprocess.DEVNULL)
    cfg = {
        "kafka": {"brokers": KAFKA, "group_id": f"bench-sessionize-{stamp}", "topic": topic},
        "clickhouse": {"url": CLICKHOUSE, "database": db},
        "sessions": {"default_timeout_s": GAP_S, "allowed_lateness_s": LATENESS_S, "idle_timeout_s": 86400,
                     "max_length_s": 86400 * 30, "max_pages": 200},
        "batch": {"max_events": 5000, "interval_ms": 1000},
        "http": {"address": "127.0.0.1", "port": port}, "log_level": "warn",
    }
    with open(os.path.join(run_dir, "sessionize.json"), "w") as f:
        json.dump(cfg, f)
    proc = start([os.path.join(BUILD, "processor", "clickstream-sessionize"), "--config",
                  os.path.join(run_dir, "sessionize.json")], os.path.join(run_dir, "sessionize.log"))
    m = f"http://127.0.0.1:{port}/metrics"
    try:
        wall, cpu, rss = follow(proc, "clickstream-sessionize", lambda: metric(m, "sessionize_events_total") >= events,
                                lambda: metric(m, "sessionize_events_total") > 0)
        # The last flush: rows are written once the commit lag (events held by
        # open sessions and unwritten rows) stops moving.
        lag = [-1, time.time()]

        def flushed():
            n = metric(m, "sessionize_commit_lag_messages")
            if n != lag[0]:
                lag[0], lag[1] = n, time.time()
            return time.time() - lag[1] > 5

        wait_for("sessions in ClickHouse", flushed, 120, 0.5)
    finally:
        stop(proc)
    rows = clickhouse("SELECT session_id, toUInt64(start_ms), toUInt64(end_ms), events FROM sessions FINAL "
                      "WHERE events > 0 AND close_reason != 'idle' FORMAT TSV", db)
    sessions = {}
    for line in rows.splitlines():
        sid, start_ms, end_ms, n = line.split("\t")
        sessions[(sid, int(start_ms))] = (int(end_ms), int(n))
    clickhouse(f"DROP DATABASE {db}")
    return wall, cpu, rss, sessions


def run_peer(run_dir, stamp, topic, events):
    out_topic = f"bench.ks-sessions.{stamp}"
    create_topic(out_topic)
    cp = os.path.join(PEER_DIR, "clickstream-bench-kafka-streams-1.jar") + ":" + os.path.join(PEER_DIR, "lib", "*")
    state = tempfile.mkdtemp(prefix="ks-state-", dir=run_dir)
    log_path = os.path.join(run_dir, "kafka-streams.log")
    proc = start(["java", "-cp", cp, "dev.clickstream.bench.SessionsApp", KAFKA, topic, out_topic,
                  f"bench-ks-{stamp}", str(GAP_S * 1000), str(LATENESS_S * 1000), state, str(os.cpu_count())],
                 log_path)

    def processed():
        n = 0
        with open(log_path) as f:
            for line in f:
                if line.startswith("processed "):
                    n = int(line.split()[1])
        return n

    try:
        wall, cpu, rss = follow(proc, "Kafka Streams", lambda: processed() >= events, lambda: processed() > 0)
        # Closed windows leave the suppression buffer at the next commit (30 s by default).
        last = [-1, time.time()]

        def settled():
            n = len(read_topic(out_topic))
            if n != last[0]:
                last[0], last[1] = n, time.time()
            return n > 0 and time.time() - last[1] > 35

        wait_for("the peer's sessions topic to settle", settled, 300, 5)
    finally:
        stop(proc)
    sessions = {}
    for value in read_topic(out_topic):
        s = json.loads(value)
        sessions[(s["session_id"], s["start_ms"])] = (s["end_ms"], s["events"])
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
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    run_dir = os.path.join(os.path.dirname(os.path.abspath(out)), f"peers-sessions-{stamp}")
    os.makedirs(run_dir)
    topic, events = make_clean_topic(run_dir, stamp, quick)
    runs = 1 if quick else 3
    ours_runs, peer_runs = [], []
    for i in range(runs):
        log(f"[{i + 1}/{runs}] clickstream-sessionize over {events} events")
        ours_runs.append(run_ours(run_dir, f"{stamp}_{i}", topic, events))
        log(f"[{i + 1}/{runs}] ours: {events / ours_runs[-1][0]:.0f} events/s wall, "
            f"{events / max(ours_runs[-1][1], 1e-9):.0f} per CPU-second, peak RSS {ours_runs[-1][2]:.0f} MiB")
        log(f"[{i + 1}/{runs}] Kafka Streams over {events} events")
        peer_runs.append(run_peer(run_dir, f"{stamp}_{i}", topic, events))
        log(f"[{i + 1}/{runs}] peer: {events / peer_runs[-1][0]:.0f} events/s wall, "
            f"{events / max(peer_runs[-1][1], 1e-9):.0f} per CPU-second, peak RSS {peer_runs[-1][2]:.0f} MiB")
    agreement = compare(ours_runs[-1][3], peer_runs[-1][3])
    with open(os.path.join(run_dir, "comparison.json"), "w") as f:
        json.dump(agreement, f, indent=1)
    log(f"sessions: ours {agreement['ours']}, peer {agreement['peer']}, identical {agreement['identical']}, "
        f"different {agreement['different_count']}, only ours {agreement['only_ours_count']}, "
        f"only peer {agreement['only_peer_count']} (details: {os.path.relpath(run_dir, ROOT)}/comparison.json)")

    def spread(values):
        return round((max(values) - min(values)) / 2, 1)

    def fig(measure, ours_values, peer_values, unit, better, notes):
        peer_median = statistics.median(peer_values)
        return {"area": "peers", "measure": measure, "median": round(statistics.median(ours_values), 1),
                "spread": spread(ours_values), "unit": unit, "runs": len(ours_values), "better": better,
                "reference": {"kind": "peer", "name": f"Kafka Streams 3.9.1 session windows (spread "
                                                      f"{spread(peer_values)})", "value": round(peer_median, 1)},
                "command": "scripts/bench peers", "date": datetime.date.today().isoformat(), "notes": notes}

    common = (f"{events} clean events from the traffic generator (7 days, seed 11) via the collector and enrich "
              f"stage, {PARTITIONS} partitions, gap {GAP_S} s, lateness/grace {LATENESS_S} s; each side alone "
              f"from the start of the topic with a fresh group; from its first event to its last.")
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
         "median": round(100.0 * agreement["identical"] / max(agreement["both"], 1), 2), "spread": 0,
         "unit": "%", "runs": 1, "better": "higher",
         "command": "scripts/bench peers", "date": datetime.date.today().isoformat(),
         "notes": f"closed by both: {agreement['both']} (ours {agreement['ours']}, peer {agreement['peer']}); "
                  f"different {agreement['different_count']}, only ours {agreement['only_ours_count']}, only "
                  f"peer {agreement['only_peer_count']}; listed in var/bench/.../comparison.json."},
    ]
    with open(out, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

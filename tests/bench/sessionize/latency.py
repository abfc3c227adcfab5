#!/usr/bin/env python3
"""Time from a session's close to its row being queryable in ClickHouse,
through the real clickstream-sessionize on the local stack.

  latency.py OUT.json RUNS

A session of three clean events is produced to a topic of this run's own
(one partition, so one watermark), then one event of another session whose
event time is past the first's last event plus the gap: from that event's
acknowledgement by Kafka, the watermark closes the first session, and the
clock runs until `sessions FINAL` returns its row. The stage flushes every
`batch.interval_ms` (1 s here, its default), which no row can beat; that is
the figure's reference. Each run is a fresh session; figures are p50 and p95.
"""
import copy
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.environ.get("CLICKSTREAM_BUILD_DIR", os.path.join(ROOT, "build"))
KAFKA = os.environ.get("CLICKSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
CLICKHOUSE = os.environ.get("CLICKSTREAM_CLICKHOUSE_URL", "http://127.0.0.1:18123")
TOOL = os.environ.get("CLICKSTREAM_KAFKA_TOOL", os.path.join(BUILD, "tests", "support", "test_kafka_tool"))
GAP_S = 60
FLUSH_MS = 1000


def clickhouse(sql, database=None):
    q = {"query": sql} if database is None else {"query": sql, "database": database}
    req = urllib.request.Request(CLICKHOUSE + "/?" + urllib.parse.urlencode(q), data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    out, runs = sys.argv[1], int(sys.argv[2])
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    topic, db, port = f"bench.sesslat.{stamp}", f"bench_sesslat_{stamp}", free_port()
    subprocess.run(["java", "-cp", os.path.join(ROOT, "var", "kafka", "libs", "*"),
                    "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", KAFKA, "--create", "--topic", topic,
                    "--partitions", "1", "--replication-factor", "1"], check=True, capture_output=True)
    clickhouse(f"CREATE DATABASE {db}")
    subprocess.run([os.path.join(ROOT, "scripts", "migrate"), "--database", db, "--url", CLICKHOUSE], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work = os.path.join(ROOT, "var", "bench", f"sesslat-{stamp}")
    os.makedirs(work, exist_ok=True)
    cfg = {"kafka": {"brokers": KAFKA, "group_id": f"bench-sesslat-{stamp}", "topic": topic},
           "clickhouse": {"url": CLICKHOUSE, "database": db},
           "sessions": {"default_timeout_s": GAP_S, "allowed_lateness_s": 0, "idle_timeout_s": 3600,
                        "max_length_s": 86400, "max_pages": 200},
           "batch": {"max_events": 5000, "interval_ms": FLUSH_MS},
           "http": {"address": "127.0.0.1", "port": port}, "log_level": "warn"}
    with open(os.path.join(work, "sessionize.json"), "w") as f:
        json.dump(cfg, f)
    stage = subprocess.Popen([os.path.join(BUILD, "processor", "clickstream-sessionize"), "--config",
                              os.path.join(work, "sessionize.json")],
                             stdout=open(os.path.join(work, "sessionize.log"), "w"), stderr=subprocess.STDOUT)
    producer = subprocess.Popen([TOOL, KAFKA, "produce", topic], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
    golden = json.load(open(os.path.join(ROOT, "docs", "contracts", "clean-event", "web_session.json")))[0]

    def send(session, seq, t_ms):
        e = copy.deepcopy(golden)
        e.update(site="bench", session_id=session, event_id=str(uuid.uuid4()), seq=seq, event_time_ms=t_ms,
                 device_ts_ms=t_ms, time_source="skew_corrected", sdk_session_timeout_s=GAP_S)
        producer.stdin.write(session + "\t" + json.dumps(e, separators=(",", ":")) + "\n")
        producer.stdin.flush()
        if producer.stdout.readline().strip() != "acked":
            raise SystemExit("producing to the benchmark topic failed")

    latencies = []
    t = int(time.time() * 1000) - 86400 * 1000
    try:
        for i in range(runs):
            session = str(uuid.uuid4())
            for seq in range(1, 4):
                send(session, seq, t + seq * 1000)
            t += 3000 + (GAP_S + 1) * 1000
            send(str(uuid.uuid4()), 1, t)  # past the first's last event plus the gap
            acked = time.monotonic()
            sql = f"SELECT count() FROM sessions FINAL WHERE session_id = '{session}' AND events = 3"
            while clickhouse(sql, db).strip() != "1":
                if time.monotonic() - acked > 60:
                    raise SystemExit(f"session {session} never became queryable; see {work}/sessionize.log")
                time.sleep(0.01)
            latencies.append((time.monotonic() - acked) * 1000)
            print(f"  session row queryable [{i + 1}/{runs}]: {latencies[-1]:.0f} ms", file=sys.stderr)
    finally:
        producer.stdin.close()
        producer.wait()
        stage.terminate()
        stage.wait()
        clickhouse(f"DROP DATABASE IF EXISTS {db}")
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    today = datetime.date.today().isoformat()
    notes = (f"{runs} sessions, one at a time: from the Kafka acknowledgement of the event that moves the "
             f"watermark past the session's last event plus the gap ({GAP_S} s here) to the row in sessions FINAL "
             f"(polled every 10 ms). The gap itself is the wait the cookie's rule imposes before any tracker "
             f"can know a session ended; this is what the pipeline adds after it.")
    figures = [{"area": "sessionize", "measure": f"session close -> row queryable in ClickHouse, {q}",
                "median": round(v, 1), "spread": round((max(latencies) - min(latencies)) / 2, 1), "unit": "ms",
                "runs": runs, "better": "lower",
                "reference": {"kind": "ceiling", "name": "the stage's flush interval (batch.interval_ms)",
                              "value": FLUSH_MS},
                "command": "scripts/bench sessionize", "date": today, "notes": notes}
               for q, v in (("p50", statistics.median(latencies)), ("p95", p95))]
    with open(out, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

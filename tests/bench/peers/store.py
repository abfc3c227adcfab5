#!/usr/bin/env python3
"""The session store side by side: sessions derived inside ClickHouse by SQL
from the events table alone at query time (the way PostHog and Plausible
derive them) against our sessions table, which the sessionize stage keeps as
events stream in.

  store.py OUT.json [--quick]

The dataset is the analysis benchmark's (tests/bench/analysis/run): 10
million events and 1 million sessions generated inside ClickHouse (1 million
and 100,000 with --quick), kept in its database between runs. Every side
answers the same question, the dashboard's history page: per day, sessions,
average duration and bounce rate (sessions with one page view).

- ours: `sessions FINAL`, the rows the sessionize stage wrote;
- by session id (PostHog: events carry the SDK's session id): the events
  grouped by session id, a session's span from its first to its last event;
- by a 30-minute gap (Plausible's rule, applied at query time): each
  anonymous id's events in time order, a new session where the gap since
  the previous event is 30 minutes or more (arrayCumSum over the gaps).

Each answer is checked against ours day by day. Timed fairly: every query
runs once untimed first (the same warm caches for all), then all are timed
interleaved, several runs each, medians.

BENCH_STORE_DATABASE reads an existing copy of the dataset instead (read
only: it must hold the counts above, nothing is generated or changed in it).
"""
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CLICKHOUSE = os.environ.get("CLICKSTREAM_CLICKHOUSE_URL",
                            "http://127.0.0.1:" + os.environ.get("CLICKSTREAM_CLICKHOUSE_HTTP_PORT", "18123"))
DATABASE = os.environ.get("BENCH_STORE_DATABASE", "bench_analysis")
GAP_MS = 1800 * 1000

# Columns of every answer: day, sessions, avg_duration_ms, bounce_rate.
OURS = """
SELECT toDate(intDiv(start_ms, 1000)) AS day, count() AS sessions, avg(duration_ms) AS avg_duration_ms,
       avg(page_views = 1) AS bounce_rate
FROM sessions FINAL
WHERE site = 'bench' AND events > 0
GROUP BY day
ORDER BY day
FORMAT JSON
"""

BY_SESSION_ID = """
SELECT day, count() AS sessions, avg(duration_ms) AS avg_duration_ms, avg(page_views = 1) AS bounce_rate
FROM
(
    SELECT session_id, toDate(intDiv(min(event_time_ms), 1000)) AS day,
           max(event_time_ms) - min(event_time_ms) AS duration_ms, countIf(type = 'page_view') AS page_views
    FROM events
    WHERE site = 'bench'
    GROUP BY session_id
)
GROUP BY day
ORDER BY day
FORMAT JSON
"""

BY_GAP = f"""
SELECT day, count() AS sessions, avg(duration_ms) AS avg_duration_ms, avg(page_views = 1) AS bounce_rate
FROM
(
    SELECT anonymous_id, session_no, toDate(intDiv(min(t), 1000)) AS day, max(t) - min(t) AS duration_ms,
           sum(pv) AS page_views
    FROM
    (
        SELECT anonymous_id, ts, pvs,
               arrayCumSum(arrayMap((t, i) -> i = 1 OR t - ts[i - 1] >= {GAP_MS}, ts, arrayEnumerate(ts))) AS nos
        FROM
        (
            SELECT anonymous_id, arraySort(groupArray(event_time_ms)) AS ts,
                   arraySort((p, t) -> t, groupArray(type = 'page_view'), groupArray(event_time_ms)) AS pvs
            FROM events
            WHERE site = 'bench'
            GROUP BY anonymous_id
        )
    )
    ARRAY JOIN ts AS t, pvs AS pv, nos AS session_no
    GROUP BY anonymous_id, session_no
)
GROUP BY day
ORDER BY day
FORMAT JSON
"""

# What the gap rule should find if ours is right: the table's sessions, less
# each one that starts less than the gap after the latest end of the same
# anonymous id's earlier sessions (the rule then joins it to them). (18.16
# resolves no outer column inside a lambda of several arguments: the
# latest earlier end is its own array.)
GAP_EXPECTED = f"""
SELECT count() FROM
(
    SELECT arrayJoin(arrayMap((s, latest, i) -> i = 1 OR s - latest >= {GAP_MS}, starts,
                              arrayMap(i -> arrayReduce('max', arraySlice(ends, 1, i - 1)), arrayEnumerate(ends)),
                              arrayEnumerate(starts))) AS starts_session
    FROM
    (
        SELECT anonymous_id, arraySort(groupArray(start_ms)) AS starts,
               arraySort((e, s) -> s, groupArray(end_ms), groupArray(start_ms)) AS ends
        FROM sessions FINAL
        WHERE site = 'bench' AND events > 0
        GROUP BY anonymous_id
    )
)
WHERE starts_session
"""

SIDES = {"ours": OURS, "by_session_id": BY_SESSION_ID, "by_gap": BY_GAP}


def log(msg):
    print(f"[peers/store] {msg}", file=sys.stderr, flush=True)


def query(sql):
    req = urllib.request.Request(CLICKHOUSE + "/?" + urllib.parse.urlencode({"database": DATABASE}),
                                 data=sql.encode())
    with urllib.request.urlopen(req, timeout=3600) as r:
        return r.read().decode()


def count(table):
    try:
        return int(query(f"SELECT count() FROM {table}").strip())
    except Exception:  # no database yet
        return 0


def days(answer):
    """{day: (sessions, avg duration ms, bounce rate)} of one FORMAT JSON answer."""
    return {r["day"]: (int(r["sessions"]), float(r["avg_duration_ms"]), float(r["bounce_rate"]))
            for r in answer["data"]}


def agreement(ours, theirs):
    """Days on which the answers agree (sessions exactly, averages to 1e-9
    relative), and the total sessions of each."""
    same = 0
    for day in set(ours) | set(theirs):
        a, b = ours.get(day), theirs.get(day)
        if a and b and a[0] == b[0] and all(abs(x - y) <= 1e-9 * max(abs(x), 1) for x, y in zip(a[1:], b[1:])):
            same += 1
    return {"days": len(set(ours) | set(theirs)), "days_identical": same,
            "sessions_ours": sum(v[0] for v in ours.values()), "sessions": sum(v[0] for v in theirs.values())}


def main():
    out = sys.argv[1]
    quick = "--quick" in sys.argv
    events, sessions = (1_000_000, 100_000) if quick else (10_000_000, 1_000_000)
    if count("events") != events or count("sessions FINAL") != sessions:
        if "BENCH_STORE_DATABASE" in os.environ:
            raise SystemExit(f"{DATABASE} does not hold the analysis dataset ({events} events, {sessions} "
                             f"sessions); it is read only here")
        log(f"making the analysis benchmark's dataset ({events} events) in {DATABASE}")
        env = dict(os.environ, BENCH_KEEP="1", BENCH_QUICK="1" if quick else "0", BENCH_DATABASE=DATABASE,
                   BENCH_OUT=os.devnull)
        subprocess.run([os.path.join(ROOT, "tests", "bench", "analysis", "run")], env=env, check=True)
    runs = 2 if quick else 5
    times = {side: [] for side in SIDES}
    answers = {}
    log(f"warming up: each query once over {DATABASE} ({events:,} events, {sessions:,} sessions)")
    for side, sql in SIDES.items():
        t = time.monotonic()
        answers[side] = days(json.loads(query(sql)))
        log(f"  {side}: {time.monotonic() - t:.3f} s (untimed)")
    for i in range(runs):  # interleaved, so the shared machine's load hits every side alike
        for side, sql in SIDES.items():
            t = time.monotonic()
            answer = days(json.loads(query(sql)))
            times[side].append(time.monotonic() - t)
            if answer != answers[side]:
                raise SystemExit(f"{side} changed its answer between runs: is {DATABASE} being written to?")
        log(f"[{i + 1}/{runs}] " + ", ".join(f"{side} {times[side][-1]:.3f} s" for side in SIDES))
    by_id = agreement(answers["ours"], answers["by_session_id"])
    by_gap = agreement(answers["ours"], answers["by_gap"])
    gap_expected = int(query(GAP_EXPECTED).strip())
    log(f"by session id: {by_id['sessions']:,} sessions, {by_id['days_identical']}/{by_id['days']} days identical "
        f"to ours ({by_id['sessions_ours']:,}); by gap: {by_gap['sessions']:,} sessions, "
        f"{by_gap['days_identical']}/{by_gap['days']} days identical; the table's sessions merged by the gap "
        f"rule would leave {gap_expected:,}")
    raw = os.path.join(os.path.dirname(os.path.abspath(out)), "peers-store.answers.json")
    with open(raw, "w") as f:
        json.dump({"database": DATABASE, "times": times, "agreement": {"by_session_id": by_id, "by_gap": by_gap},
                   "gap_rule_on_ours": gap_expected,
                   "answers": {side: sorted([d, *v] for d, v in a.items()) for side, a in answers.items()}},
                  f, indent=1)

    def spread(v):
        return round((max(v) - min(v)) / 2, 3)

    scale = f"{events:,} events and {sessions:,} sessions"
    timing = (f"ClickHouse 18.16, the analysis benchmark's generated data ({scale}); each query once untimed, "
              f"then {runs} timed runs interleaved with the others, over HTTP. Ours reads sessions FINAL, which "
              f"the sessionize stage maintains while events stream in (that cost is in the sessionization "
              f"figures: events per CPU-second).")

    def figure(side, name, notes):
        return {"area": "peers", "measure": f"session store: sessions per day, duration and bounce, ours vs {name}",
                "median": round(statistics.median(times["ours"]), 3), "spread": spread(times["ours"]),
                "unit": "s", "runs": runs, "better": "lower",
                "reference": {"kind": "peer", "name": f"derived from {scale.split(' and ')[0]} by SQL at query "
                                                      f"time, {name} (spread {spread(times[side])})",
                              "value": round(statistics.median(times[side]), 3)},
                "command": "scripts/bench peers", "date": datetime.date.today().isoformat(),
                "notes": f"{timing} {notes}"}

    figures = [
        figure("by_session_id", "grouped by session id (PostHog)",
               f"Answers: {by_id['sessions']:,} sessions against ours {by_id['sessions_ours']:,}; "
               f"{by_id['days_identical']} of {by_id['days']} days identical in sessions, average duration and "
               f"bounce rate."),
        figure("by_gap", "30-minute gap per anonymous id (Plausible's rule)",
               f"Answers: {by_gap['sessions']:,} sessions against ours {by_gap['sessions_ours']:,}; "
               f"{by_gap['days_identical']} of {by_gap['days']} days identical. The generator starts each "
               f"person's sessions at random times, so some fall within 30 minutes of the same person's earlier "
               f"one and the gap rule joins them: applied to our rows it leaves {gap_expected:,} sessions"
               f"{' — exactly what it derived from the events' if gap_expected == by_gap['sessions'] else ''}."),
    ]
    with open(out, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

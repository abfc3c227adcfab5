#!/usr/bin/env python3
"""Browser trackers side by side: our beacon against Snowplow's browser
tracker, posthog-js, Segment's analytics-next, RudderStack's SDK v3 and
Plausible's tracker, in one headless Chromium on the same page with the same
scripted visit (browser/run.mjs says how each figure is taken).

  browser.py OUT.json [--quick]

Each peer is bundled from its pinned npm package (browser/build.mjs) and
configured as its docs show, with a local stub as its endpoint; a peer
counts only if the stub received every scripted event.
"""
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BUILD = os.environ.get("CLICKSTREAM_BUILD_DIR", os.path.join(ROOT, "build"))
DIST = os.path.join(BUILD, "wasm-beacon", "dist")
PEERS = {
    "snowplow": "@snowplow/browser-tracker 4.10.1",
    "posthog": "posthog-js 1.449.2",
    "segment": "@segment/analytics-next 1.84.3",
    "rudderstack": "@rudderstack/analytics-js 3.34.1 (bundled build)",
    "plausible": "@plausible-analytics/tracker 0.4.6",
}
# Which peers batch events and keep a retry queue (the bar for script
# bytes), from their docs: Snowplow (local-storage outbound queue; POST
# buffer, size 1 by default), PostHog (request queue with retries),
# RudderStack (local-storage queue with retries). Segment retries in memory
# without batching by default; Plausible sends each event once.
BATCHING_WITH_RETRY = {"snowplow", "posthog", "rudderstack"}


def main():
    out = sys.argv[1]
    quick = "--quick" in sys.argv
    raw_dir = os.path.join(os.path.dirname(os.path.abspath(out)), "peers-browser")
    bundles = os.path.join(raw_dir, "bundles")
    os.makedirs(bundles, exist_ok=True)
    subprocess.run(["node", os.path.join(HERE, "browser", "build.mjs"), bundles], check=True, cwd=HERE)
    runs = 1 if quick else 5
    raw = os.path.join(raw_dir, "visits.json")
    subprocess.run(["node", os.path.join(HERE, "browser", "run.mjs"), raw, str(runs), DIST, bundles], check=True,
                   cwd=HERE)
    result = json.load(open(raw))
    trackers = result["trackers"]
    base = trackers.pop("none")["runs"]
    base_init = statistics.median(r["script_ms_init"] for r in base)
    base_track = statistics.median(r["script_ms_per_track"] for r in base)

    def values(name, key):
        rs = trackers[name]["runs"]
        if key == "script_ms_init":
            return [r[key] - base_init for r in rs]
        if key == "script_ms_per_track":
            return [r[key] - base_track for r in rs]
        return [float(r[key]) for r in rs]

    def spread(v):
        return round((max(v) - min(v)) / 2, 3)

    measures = [
        ("downloaded_bytes", "what the page downloads for the tracker (bytes on the wire, gzip)", "B"),
        ("requests", "requests to the endpoint per visit", "requests"),
        ("sent_bytes", "bytes sent to the endpoint per visit (bodies and URLs)", "B"),
        ("script_ms_init", "main-thread script time of loading and initialising, less the page's own", "ms"),
        ("track_call_ms", "one track call on the main thread (performance.now around it)", "ms"),
        ("script_ms_per_track", "main-thread script time per tracked click, less the page's own", "ms"),
        ("long_tasks", "long tasks (over 50 ms) during the visit", "tasks"),
    ]
    today = datetime.date.today().isoformat()
    visit = ("one visit: page view, 20 clicks each tracked from the button's handler, a custom event, page "
             f"hidden and closed; {runs} runs, interleaved; Chromium {chromium_version()}.")
    figures = []
    ours = "clickstream"
    for key, what, unit in measures:
        for peer, label in PEERS.items():
            t = trackers[peer]
            if not t["complete"]:
                figures.append({"area": "peers", "measure": f"browser, {what}: ours vs {peer}",
                                "median": round(statistics.median(values(ours, key)), 3),
                                "spread": spread(values(ours, key)), "unit": unit, "runs": runs, "better": "lower",
                                "command": "scripts/bench peers", "date": today,
                                "notes": f"{label} did not deliver every scripted event to the stub (missing: "
                                         f"{', '.join(t['missing'][:6])}); not compared. " + visit})
                continue
            pv = values(peer, key)
            note = visit
            if key == "downloaded_bytes":
                note += (" Batches with a retry queue: " + ("yes" if peer in BATCHING_WITH_RETRY else "no") +
                         ". Peers bundled from npm with esbuild (minified), served gzip -9 as a CDN would.")
            figures.append({"area": "peers", "measure": f"browser, {what}: ours vs {peer}",
                            "median": round(statistics.median(values(ours, key)), 3),
                            "spread": spread(values(ours, key)), "unit": unit, "runs": runs, "better": "lower",
                            "reference": {"kind": "peer", "name": f"{label} (spread {spread(pv)})",
                                          "value": round(statistics.median(pv), 3)},
                            "command": "scripts/bench peers", "date": today, "notes": note})
    with open(out, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")
    for name, t in trackers.items():
        r = t["runs"][-1]
        print(f"[peers/browser] {name}: {'complete' if t['complete'] else 'INCOMPLETE'}, downloaded "
              f"{r['downloaded_bytes']} B, {r['requests']} requests, {r['sent_bytes']} B sent, init script "
              f"{r['script_ms_init'] - base_init:.1f} ms, track {r['track_call_ms']:.3f} ms", file=sys.stderr)


def chromium_version():
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                              timeout=20).stdout.split()[1]
    except Exception:  # the version is only for the notes
        return "?"


if __name__ == "__main__":
    main()

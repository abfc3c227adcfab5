#!/usr/bin/env python3
"""User-agent parsing and bot detection side by side: our enrichment
(`clickstream-enrich --mode ua`) against ua-parser-js and isbot (npm) and
uap-core's reference Java port uap-java (Maven Central), on one list.

  ua.py OUT.json [--quick]

The list: 100,000 user agents drawn by weight (seed 13) from the
`user-agents` package's data, plus every instance in the crawler list.
Speed is parses per CPU-second of one core, warm, without result caches: the
peers' parse loops are timed inside their process on a second pass over the
list (the first warms the JIT); ours is the CPU of the whole process
(reading, parsing, writing JSON) on the list twice less on the list once,
with its result cache off (--cache 0), so its regex DFAs are as warm as in a
running service and every line is parsed.
Agreement compares what the libraries have in common; every disagreement is
listed by kind and count in the raw output beside OUT.json.
"""
import collections
import datetime
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BUILD = os.environ.get("CLICKSTREAM_BUILD_DIR", os.path.join(ROOT, "build"))
ENRICH = os.path.join(BUILD, "processor", "clickstream-enrich")
UAP = os.path.join(HERE, "uap-java", "target")


def log(msg):
    print(f"[peers/ua] {msg}", file=sys.stderr, flush=True)


def make_list(path, n):
    data = json.load(open(os.path.join(ROOT, "node_modules", "user-agents", "dist", "user-agents.json")))
    crawlers = json.load(open(os.path.join(ROOT, "node_modules", "crawler-user-agents", "crawler-user-agents.json")))
    bots = [i for c in crawlers for i in c.get("instances", []) if "\n" not in i]
    rng = random.Random(13)
    humans = rng.choices([d["userAgent"] for d in data], weights=[d["weight"] for d in data], k=n - len(bots))
    uas = humans + bots
    rng.shuffle(uas)
    with open(path, "w") as f:
        f.write("\n".join(uas) + "\n")
    return uas


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_ours(path, twice):
    cmd = [ENRICH, "--mode", "ua", "--root", ROOT, "--cache", "0"]
    c0 = child_cpu()
    out = subprocess.run(cmd, stdin=open(path), capture_output=True, text=True, check=True).stdout
    c1 = child_cpu()
    subprocess.run(cmd, stdin=open(twice), stdout=subprocess.DEVNULL, check=True)
    c2 = child_cpu()
    rows = [json.loads(line) for line in out.splitlines()]
    return (c2 - c1) - (c1 - c0), rows


def run_js(path):
    out = subprocess.run(["node", os.path.join(HERE, "ua", "peer.mjs"), path], capture_output=True, text=True,
                         check=True, cwd=HERE).stdout.splitlines()
    timing = json.loads(out[-1])["timing"]
    return timing, [json.loads(line) for line in out[:-1]]


def run_uap(path):
    cp = os.path.join(UAP, "clickstream-bench-uap-java-1.jar") + ":" + os.path.join(UAP, "lib", "*")
    out = subprocess.run(["java", "-cp", cp, "dev.clickstream.bench.UapBench", path], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return float(out[-1].split("\t")[1]), [line.split("\t") for line in out[:-1]]


def loose(name):
    """A browser or OS name without the words the libraries spell differently."""
    return re.sub(r"[^a-z]", "", re.sub(r"\b(mobile|webview|browser|for ios)\b", "", name.lower()))


def agreement(uas, ours, js, uap):
    pairs = {
        "bot verdict: ours vs isbot": [(o["bot"]["is_bot"], j["bot"]) for o, j in zip(ours, js)],
        "browser family: ours vs uap-java": [(o["browser"]["family"], u[0]) for o, u in zip(ours, uap)],
        "OS family: ours vs uap-java": [(o["os"]["family"], u[1]) for o, u in zip(ours, uap)],
        "browser name (loose): ours vs ua-parser-js":
            [(loose(o["browser"]["family"]), loose(j["browser"])) for o, j in zip(ours, js)
             if not o["bot"]["is_bot"]],
        "device type: ours vs ua-parser-js":
            [(o["device"]["type"], j["device"]) for o, j in zip(ours, js) if not o["bot"]["is_bot"]],
    }
    result = {}
    for name, values in pairs.items():
        agree = sum(1 for a, b in values if a == b)
        diffs = collections.Counter(f"{a!r} vs {b!r}" for a, b in values if a != b)
        examples = {}
        for ua, (a, b) in zip(uas, values):
            key = f"{a!r} vs {b!r}"
            if a != b and key not in examples:
                examples[key] = ua
        result[name] = {"compared": len(values), "agree": agree, "share": agree / max(len(values), 1),
                        "top_disagreements": [{"pair": k, "count": n, "example": examples.get(k, "")}
                                              for k, n in diffs.most_common(25)]}
    return result


def main():
    out = sys.argv[1]
    quick = "--quick" in sys.argv
    raw_dir = os.path.join(os.path.dirname(os.path.abspath(out)), "peers-ua")
    os.makedirs(raw_dir, exist_ok=True)
    n = 10_000 if quick else 100_000
    path, twice = os.path.join(raw_dir, "user-agents.txt"), os.path.join(raw_dir, "user-agents-twice.txt")
    uas = make_list(path, n)
    with open(twice, "w") as f:
        f.write(open(path).read() * 2)
    runs = 1 if quick else 3
    ours_s, js_s, bot_s, uap_s = [], [], [], []
    for i in range(runs):
        log(f"[{i + 1}/{runs}] clickstream-enrich --mode ua over {n} user agents")
        cpu, ours = run_ours(path, twice)
        ours_s.append(cpu)
        log(f"[{i + 1}/{runs}] ua-parser-js and isbot")
        timing, js = run_js(path)
        js_s.append(timing["ua_parser_js_s"])
        bot_s.append(timing["isbot_s"])
        log(f"[{i + 1}/{runs}] uap-java")
        cpu, uap = run_uap(path)
        uap_s.append(cpu)
        log(f"[{i + 1}/{runs}] per CPU-second: ours {n / ours_s[-1]:.0f}, ua-parser-js {n / js_s[-1]:.0f}, "
            f"isbot {n / bot_s[-1]:.0f}, uap-java {n / uap_s[-1]:.0f}")
    agree = agreement(uas, ours, js, uap)
    with open(os.path.join(raw_dir, "agreement.json"), "w") as f:
        json.dump(agree, f, indent=1)

    def rate(values):
        return [n / v for v in values]

    def spread(values):
        return round((max(values) - min(values)) / 2, 1)

    today = datetime.date.today().isoformat()
    list_note = (f"{n} user agents: drawn by weight (seed 13) from the user-agents package plus every crawler-list "
                 f"instance. Warm, no result caches. Ours: the whole clickstream-enrich --mode ua --cache 0 process "
                 f"(uap-core regexes: browser, OS, device, device type, and the bot verdict; reading and writing "
                 f"JSON), CPU on the list twice less once; peers: their parse loop in process, second pass.")
    figures = []
    for peer, values, what in (("ua-parser-js 2.0.10 (browser, OS, device type)", js_s, "ua-parser-js"),
                               ("uap-java 1.6.1, uap-core's reference port", uap_s, "uap-java"),
                               ("isbot 5.2.3 (bot verdict only)", bot_s, "isbot")):
        ours_rate, peer_rate = rate(ours_s), rate(values)
        figures.append({"area": "peers", "measure": f"user agents parsed per CPU-second: ours vs {what}",
                        "median": round(statistics.median(ours_rate), 1), "spread": spread(ours_rate),
                        "unit": "UA/s", "runs": runs, "better": "higher",
                        "reference": {"kind": "peer", "name": f"{peer} (spread {spread(peer_rate)})",
                                      "value": round(statistics.median(peer_rate), 1)},
                        "command": "scripts/bench peers", "date": today, "notes": list_note})
    for name, a in agree.items():
        top = "; ".join(f"{d['pair']} x{d['count']}" for d in a["top_disagreements"][:3])
        figures.append({"area": "peers", "measure": f"user agents, agreement: {name}",
                        "median": round(100 * a["share"], 2), "spread": 0, "unit": "%", "runs": 1,
                        "better": "higher", "command": "scripts/bench peers", "date": today,
                        "notes": f"{a['agree']} of {a['compared']} agree. Most frequent differences: {top}. "
                                 f"All listed with an example in var/bench/<run>/peers-ua/agreement.json."})
    with open(out, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

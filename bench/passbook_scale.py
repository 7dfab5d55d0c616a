"""The passbook figure at two population sizes in one run (issue 12: "flat as the population grows").

    BENCH_PEOPLE=250000 .venv/bin/python bench/passbook_scale.py     (``make bench`` runs it when BENCH_PEOPLE is set)

``bench/passbook_bench.py`` is run against a database of ``BENCH_SCALE_BASE_PEOPLE`` (20,000) people and one of
``BENCH_PEOPLE`` people — ``healthbank_passbook_<people>``, its keys and simulated world in
``<BENCH_SCALE_VAR>/passbook-<people>`` (default ``var/``) — each built once (slowly: see bench/README.md, "A
quarter of a million people") and reused while its marker matches. The two sizes take turns,
``BENCH_SCALE_ROUNDS`` (2) rounds of one passbook round each, so drifting load on a shared machine hits both alike;
the latencies of a target at one size are pooled over the rounds. It prints a table and one JSON object and
writes ``bench/results/passbook_scale.json``: p50/p95/p99 and requests a second of each target at each size, and
the ratio of the larger population's p99 to the smaller's (the issue's target: within 1.5 for the passbook home
page and the app summary).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from passbook_bench import summarise  # noqa: E402 - the same percentiles as the passbook figure

BASE_PEOPLE = int(os.environ.get("BENCH_SCALE_BASE_PEOPLE", "20000"))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "250000"))
ROUNDS = int(os.environ.get("BENCH_SCALE_ROUNDS", "2"))
VAR = Path(os.environ.get("BENCH_SCALE_VAR", ROOT / "var"))
TARGET_RATIO = 1.5
MEASURED = ("home", "summary")  # the two; the baselines are measured and reported alongside


def passbook_env(people: int) -> dict[str, str]:
    return dict(
        os.environ,
        BENCH_PASSBOOK_PEOPLE=str(people),
        BENCH_PASSBOOK_DB=f"healthbank_passbook_{people}",
        BENCH_PASSBOOK_VAR=str(VAR / f"passbook-{people}"),
        BENCH_PASSBOOK_ROUNDS="1",
        BENCH_PASSBOOK_WRITE="0",
        BENCH_PASSBOOK_LATENCIES="1",  # this script writes the pair; passbook.json keeps the 20,000-people figure
    )


def run_passbook(people: int) -> dict:
    out = subprocess.run(
        [sys.executable, str(HERE / "passbook_bench.py")], env=passbook_env(people), stdout=subprocess.PIPE, text=True
    )
    if out.returncode != 0:
        sys.exit(f"the passbook benchmark at {people} people failed (its output is above)")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pooled(runs: list[dict], name: str) -> dict:
    """One target over every round at one size: the latencies of all rounds together, as passbook_bench pools
    its own rounds."""
    latencies = sorted(x for r in runs for x in r["targets"][name]["latencies_s"])
    seconds = sum(r["seconds"] * r["rounds"] for r in runs)
    figure = summarise(latencies, sum(r["targets"][name]["errors"] for r in runs), seconds)
    figure["p99_ms_by_round"] = [r["targets"][name]["p99_ms"] for r in runs]
    return figure


def main() -> None:
    sizes = (BASE_PEOPLE, PEOPLE)
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    for round_number in range(ROUNDS):
        for people in sizes:
            print(f"[passbook-scale] round {round_number + 1}/{ROUNDS}: {people} people", file=sys.stderr, flush=True)
            runs[people].append(run_passbook(people))
    names = list(runs[BASE_PEOPLE][0]["targets"])
    by_size = {
        str(n): {
            "population": runs[n][0]["population"],
            "targets": {name: pooled(runs[n], name) for name in names},
            "generation_seconds": runs[n][0]["population"].get("generation_seconds"),
            "load_average": [r["load_average"] for r in runs[n]],
        }
        for n in sizes
    }
    small, large = by_size[str(BASE_PEOPLE)]["targets"], by_size[str(PEOPLE)]["targets"]
    ratios = {name: round(large[name]["p99_ms"] / small[name]["p99_ms"], 2) for name in names}
    figure = {
        "figure": "passbook_scale",
        "date": dt.date.today().isoformat(),
        "sizes": list(sizes),
        "rounds": ROUNDS,
        "by_size": by_size,
        "p99_ratio": ratios,
        "issue_target": {name: ratios[name] <= TARGET_RATIO for name in MEASURED},
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "passbook_scale.json").write_text(json.dumps(figure, indent=1, ensure_ascii=False) + "\n")
    print(table(figure), file=sys.stderr)
    print(json.dumps(figure, ensure_ascii=False))


def table(figure: dict) -> str:
    small, large = (str(n) for n in figure["sizes"])
    lines = [
        f"| target | p99 at {int(small):,} (ms) | p99 at {int(large):,} (ms) | ratio | req/s at {int(small):,} "
        f"| req/s at {int(large):,} |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, ratio in figure["p99_ratio"].items():
        a, b = figure["by_size"][small]["targets"][name], figure["by_size"][large]["targets"][name]
        lines.append(
            f"| {name} | {a['p99_ms']} | {b['p99_ms']} | {ratio} | {a['requests_per_second']} "
            f"| {b['requests_per_second']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""The computed figures of docs/scaling.md, from measured ones (standard library only).

    .venv/bin/python bench/scaling_plan.py                    # reads bench/results/*.json
    .venv/bin/python bench/scaling_plan.py measured.json      # these files instead (later ones win)
    .venv/bin/python bench/scaling_plan.py --set bytes_per_visit=1900 --set disk_per_node_tb=3.84
    .venv/bin/python bench/scaling_plan.py --json             # inputs and results as one JSON object
    .venv/bin/python bench/scaling_plan.py --inputs           # the inputs only: value, kind, origin

A JSON file may be:

* what ``bench/`` writes: ``latest.json`` (``make bench``: the PostgreSQL entry's parallel bulk rows a second,
  else its one-process rate, and the passbook entry), ``passbook.json`` (p99 of the app summary, CPU
  milliseconds a request of the web workers and of the database); ``load.json`` and ``faults.json`` hold
  nothing this plan needs and are skipped;
* a flat object of measured figures by input name or placeholder, e.g.
  ``{"BYTES_PER_PERSON": 41000, "bytes_per_visit": 1900}``, optionally under a ``"scaling"`` key.

Every input is one of: ``measured`` (a ``{{PLACEHOLDER}}`` in docs/scaling.md until the lead fills it),
``public`` (a published figure; the source is named in docs/scaling.md) or ``assumption`` (labelled as such
there). A figure that needs a measured input not given prints as ``needs {{PLACEHOLDER}}``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Input:
    name: str
    value: float | None
    kind: str  # measured | public | assumption
    note: str
    origin: str = ""

    @property
    def placeholder(self) -> str:
        return "{{" + self.name.upper() + "}}"


def default_inputs() -> dict[str, Input]:
    items = [
        # Measured on the project machine; the lead fills them (docs/scaling.md, "Placeholders").
        Input(
            "bytes_per_person", None, "measured", "bytes a person's own rows take, indexes included, visits excluded"
        ),
        Input("bytes_per_visit", None, "measured", "bytes a visit takes with its child rows and all their indexes"),
        Input("rows_per_second_ingest", None, "measured", "rows a second through records.bulk.load on one machine"),
        Input("ingest_measured_cores", 2, "measured", "cores of the machine rows_per_second_ingest was measured on"),
        Input("p99_summary_ms", None, "measured", "p99 of GET /api/app/v1/passbook/<id>/summary (passbook bench)"),
        Input("req_per_s_per_core", None, "measured", "web requests a second one core serves (1000 / worker CPU ms)"),
        Input("db_cpu_ms_per_request", None, "measured", "database CPU milliseconds a passbook request costs"),
        Input("api_visits_per_second", None, "measured", "visits a second one process takes through the ingest API"),
        Input(
            "rows_per_visit", 5, "measured", "rows a benchmark visit writes: visit, diagnosis, 2 drug, 1 other order"
        ),
        # Published figures (docs/scaling.md, "Sources").
        Input("insured_people", 23_000_000, "public", "insured people (MOHW: 23.42 million registered end of 2023)"),
        Input("registered_users", 10_820_000, "public", "My Health Bank users served (NHIA via Taipei Times, 2022-12)"),
        Input("visits_per_year", 380_000_000, "public", "visits a year (NHI data for 2023, Taipei Times 2024-08-04)"),
        Input("visits_stored", 1_000_000_000, "public", "visits kept: about three years at 338-380 million a year"),
        # Assumptions (docs/scaling.md labels each).
        Input("sessions_per_user_per_year", 12, "assumption", "sessions a registered user opens a year"),
        Input("requests_per_session", 8, "assumption", "requests a session makes (login, home, a few pages)"),
        Input("peak_day_factor", 3, "assumption", "busiest day against the mean day"),
        Input("peak_hour_share", 0.10, "assumption", "share of a day's sessions in its busiest hour"),
        Input("peak_second_factor", 1.5, "assumption", "busiest second against the busiest hour's mean"),
        Input("surge_factor", 10, "assumption", "a national event (mask rationing 2020, vaccine records 2021)"),
        Input("cpu_target", 0.6, "assumption", "CPU utilisation planned at the peak"),
        Input("cores_per_web_host", 8, "assumption", "cores of one web host"),
        Input("replication_factor", 2, "assumption", "copies of every byte: primary + one streaming standby"),
        Input("disk_fill_target", 0.6, "assumption", "share of a disk data may fill (WAL, vacuum, index rebuilds)"),
        Input("disk_per_node_tb", 3.84, "assumption", "usable disk of one database node, TB (1e12 bytes)"),
        Input("memory_per_node_gib", 256, "assumption", "memory of one database node, GiB"),
        Input("memory_for_cache", 0.75, "assumption", "share of a node's memory for shared buffers and page cache"),
        Input("hot_visit_fraction", 1 / 3, "assumption", "share of stored visits read often (the latest year)"),
        Input("cores_per_db_node", 32, "assumption", "cores of one database node"),
        Input("min_workers", 2, "assumption", "fewest Citus workers"),
        Input("shard_count", 128, "assumption", "citus.shard_count for the person co-location group"),
        Input("ingest_peak_day_factor", 1.5, "assumption", "busiest upload day against the mean day"),
        Input("ingest_peak_hour_share", 0.15, "assumption", "share of a day's uploads in its busiest hour"),
        Input("ingest_peak_hour_share", 0.15, "assumption", "share of a day's uploads in its busiest hour"),
        Input("ingest_window_hours", 4, "assumption", "hours a day's uploads may take (rule: within 24 h)"),
    ]
    return {i.name: i for i in items}


# --- reading bench/results ------------------------------------------------------------------------------------


def _cores(machine: str) -> int | None:
    found = re.search(r"(\d+) cores", machine or "")
    return int(found.group(1)) if found else None


def _from_passbook(entry: dict) -> dict[str, float]:
    targets = entry.get("targets", {})
    out: dict[str, float] = {}
    summary = targets.get("summary", {})
    if "p99_ms" in summary:
        out["p99_summary_ms"] = summary["p99_ms"]
    pages = [
        targets[t]["cpu_ms_per_request"] for t in ("home", "summary") if "cpu_ms_per_request" in targets.get(t, {})
    ]
    if pages:
        # The dearer of the two most visited pages, so the plan errs on the side of more cores.
        out["req_per_s_per_core"] = round(1000 / max(p["gunicorn"] for p in pages), 1)
        out["db_cpu_ms_per_request"] = max(p["postgres"] for p in pages)
    return out


def _from_ingest(entry: dict) -> dict[str, float]:
    rate = entry.get("parallel_bulk_rows_per_second") or entry.get("bulk_rows_per_second")
    out: dict[str, float] = {}
    if rate:
        out["rows_per_second_ingest"] = rate
        if entry.get("api_visits_per_second"):
            out["api_visits_per_second"] = entry["api_visits_per_second"]
        cores = _cores(entry.get("machine", ""))
        if cores:
            out["ingest_measured_cores"] = cores
    return out


def figures_from(data, names: set[str]) -> dict[str, float]:
    """The inputs a JSON document holds, by input name."""
    if isinstance(data, list):
        out: dict[str, float] = {}
        for entry in data:
            if not isinstance(entry, dict):
                continue
            if entry.get("figure") == "passbook":
                out.update(_from_passbook(entry))
            elif entry.get("database") == "postgresql":
                out.update(_from_ingest(entry))
        return out
    if not isinstance(data, dict):
        return {}
    if data.get("figure") == "passbook":
        return _from_passbook(data)
    if data.get("database") == "postgresql" and "bulk_rows_per_second" in data:
        return _from_ingest(data)
    flat = data["scaling"] if isinstance(data.get("scaling"), dict) else data
    out = {}
    for key, value in flat.items():
        name = key.strip("{}").lower()
        if name in names and isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = value
    return out


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load(paths: list[Path], inputs: dict[str, Input]) -> list[str]:
    notes = []
    for path in paths:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            notes.append(f"skipped {path}: {exc}")
            continue
        found = figures_from(data, set(inputs))
        for name, value in found.items():
            inputs[name].value = value
            inputs[name].origin = _shown(path)
        notes.append(f"{_shown(path)}: {', '.join(sorted(found)) or 'nothing this plan uses'}")
    return notes


# --- the computation ------------------------------------------------------------------------------------------


class Missing(Exception):
    def __init__(self, placeholders: list[str]):
        self.placeholders = placeholders


def compute(inputs: dict[str, Input]) -> list[tuple[str, str, object]]:
    """Rows of (section, figure, value); a value is a number, or Missing when a measured input is absent."""
    v = {n: i.value for n, i in inputs.items()}

    def need(*names):
        missing = [inputs[n].placeholder for n in names if v[n] is None]
        if missing:
            raise Missing(missing)

    rows: list[tuple[str, str, object]] = []

    def row(section, figure, fn):
        try:
            rows.append((section, figure, fn()))
        except Missing as m:
            rows.append((section, figure, m))

    tb = 1e12
    gib = 2**30

    def primary():
        need("bytes_per_person", "bytes_per_visit")
        return v["insured_people"] * v["bytes_per_person"] + v["visits_stored"] * v["bytes_per_visit"]

    def hot():
        need("bytes_per_person", "bytes_per_visit")
        visits = v["visits_stored"] * v["hot_visit_fraction"] * v["bytes_per_visit"]
        return v["insured_people"] * v["bytes_per_person"] + visits

    def peak_rps():
        per_day = v["registered_users"] * v["sessions_per_user_per_year"] / 365
        sessions = per_day * v["peak_day_factor"] * v["peak_hour_share"] / 3600
        return sessions * v["requests_per_session"] * v["peak_second_factor"]

    def nodes_disk():
        return math.ceil(primary() / (v["disk_per_node_tb"] * tb * v["disk_fill_target"]))

    def nodes_memory():
        return math.ceil(hot() / (v["memory_per_node_gib"] * gib * v["memory_for_cache"]))

    def nodes_cpu(rps):
        need("db_cpu_ms_per_request")
        return math.ceil(rps * v["db_cpu_ms_per_request"] / 1000 / (v["cores_per_db_node"] * v["cpu_target"]))

    def workers(rps):
        return max(int(v["min_workers"]), nodes_disk(), nodes_memory(), nodes_cpu(rps))

    def web_cores(rps):
        need("req_per_s_per_core")
        return rps / v["req_per_s_per_core"] / v["cpu_target"]

    def web_hosts(rps):
        return math.ceil(web_cores(rps) / v["cores_per_web_host"])

    def ingest_rows_per_day():
        return v["visits_per_year"] / 365 * v["ingest_peak_day_factor"] * v["rows_per_visit"]

    s = "storage"
    row(
        s,
        "people's own rows, TB",
        lambda: (need("bytes_per_person"), v["insured_people"] * v["bytes_per_person"] / tb)[1],
    )
    row(
        s,
        "visits with their rows, TB",
        lambda: (need("bytes_per_visit"), v["visits_stored"] * v["bytes_per_visit"] / tb)[1],
    )
    row(s, "one copy (primary), TB", lambda: primary() / tb)
    row(s, "all copies (x replication factor), TB", lambda: primary() * v["replication_factor"] / tb)
    row(
        s,
        "disk to provision (all copies / fill target), TB",
        lambda: primary() * v["replication_factor"] / v["disk_fill_target"] / tb,
    )
    row(
        s,
        "growth a year (one copy), TB",
        lambda: (need("bytes_per_visit"), v["visits_per_year"] * v["bytes_per_visit"] / tb)[1],
    )
    row(s, "one shard (one copy / shard_count), GB", lambda: primary() / v["shard_count"] / 1e9)

    s = "requests"
    row(s, "sessions a year", lambda: v["registered_users"] * v["sessions_per_user_per_year"])
    row(
        s,
        "mean requests/s over the year",
        lambda: v["registered_users"] * v["sessions_per_user_per_year"] * v["requests_per_session"] / (365 * 86400),
    )
    row(s, "peak requests/s", peak_rps)
    row(s, "surge requests/s (peak x surge factor)", lambda: peak_rps() * v["surge_factor"])
    row(s, "measured p99 of the app summary, ms", lambda: (need("p99_summary_ms"), v["p99_summary_ms"])[1])

    s = "web"
    row(s, "web cores at the peak", lambda: web_cores(peak_rps()))
    row(s, "web hosts at the peak", lambda: web_hosts(peak_rps()))
    row(
        s,
        "gunicorn processes at the peak (hosts x (2 x cores + 1))",
        lambda: web_hosts(peak_rps()) * (2 * v["cores_per_web_host"] + 1),
    )
    row(s, "web cores in a surge", lambda: web_cores(peak_rps() * v["surge_factor"]))
    row(s, "web hosts in a surge", lambda: web_hosts(peak_rps() * v["surge_factor"]))
    row(
        s,
        "gunicorn processes in a surge",
        lambda: web_hosts(peak_rps() * v["surge_factor"]) * (2 * v["cores_per_web_host"] + 1),
    )

    s = "database"
    row(s, "hot set (people + latest visits), TB", lambda: hot() / tb)
    row(
        s,
        "database cores at the peak (queries only)",
        lambda: (need("db_cpu_ms_per_request"), peak_rps() * v["db_cpu_ms_per_request"] / 1000)[1],
    )
    row(s, "workers needed for disk", nodes_disk)
    row(s, "workers needed for memory", nodes_memory)
    row(s, "workers needed for CPU at the peak", lambda: nodes_cpu(peak_rps()))
    row(s, "workers needed for CPU in a surge", lambda: nodes_cpu(peak_rps() * v["surge_factor"]))
    row(s, "Citus workers (primaries, peak)", lambda: workers(peak_rps()))
    row(s, "Citus workers (primaries, surge)", lambda: workers(peak_rps() * v["surge_factor"]))
    row(
        s,
        "database servers (peak): workers + coordinator, x replication factor",
        lambda: (workers(peak_rps()) + 1) * v["replication_factor"],
    )

    s = "ingestion"
    row(s, "visits on the busiest upload day", lambda: v["visits_per_year"] / 365 * v["ingest_peak_day_factor"])
    row(s, "rows on the busiest upload day", ingest_rows_per_day)
    row(
        s,
        "hours for that day on the measured machine",
        lambda: (need("rows_per_second_ingest"), ingest_rows_per_day() / v["rows_per_second_ingest"] / 3600)[1],
    )
    row(
        s,
        "rows/s needed to finish within the window",
        lambda: ingest_rows_per_day() / (v["ingest_window_hours"] * 3600),
    )
    row(
        s,
        "loader cores for the window (measured rate per core, linear)",
        lambda: (
            need("rows_per_second_ingest"),
            ingest_rows_per_day()
            / (v["ingest_window_hours"] * 3600)
            / (v["rows_per_second_ingest"] / v["ingest_measured_cores"]),
        )[1],
    )

    def api_visits_per_s():
        return v["visits_per_year"] / 365 * v["ingest_peak_day_factor"] * v["ingest_peak_hour_share"] / 3600

    row(s, "visits/s arriving through the API in the busiest hour", api_visits_per_s)
    row(
        s,
        "API processes busy with them (measured visits/s a process)",
        lambda: (need("api_visits_per_second"), api_visits_per_s() / v["api_visits_per_second"])[1],
    )
    return rows


# --- output ---------------------------------------------------------------------------------------------------


def fmt(value) -> str:
    if isinstance(value, Missing):
        return "needs " + ", ".join(value.placeholders)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 100):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="JSON files of measured figures (default: bench/results/*.json)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override one input")
    parser.add_argument("--json", action="store_true", help="print inputs and results as JSON")
    parser.add_argument("--inputs", action="store_true", help="print the inputs only")
    args = parser.parse_args(argv)

    inputs = default_inputs()
    paths = args.paths or sorted(RESULTS.glob("*.json"))
    notes = load(paths, inputs)
    for item in args.set:
        name, _, value = item.partition("=")
        name = name.strip("{}").lower()
        if name not in inputs:
            parser.error(f"unknown input {name!r}; known: {', '.join(inputs)}")
        inputs[name].value = float(value)
        inputs[name].origin = "--set"

    if args.inputs:
        for i in inputs.values():
            shown = "MISSING" if i.value is None else fmt(i.value)
            print(f"{i.name:28} {shown:>14}  {i.kind:10} {i.origin or '-':28} {i.note}")
        return 0

    rows = compute(inputs)
    if args.json:
        out = {
            "inputs": {n: {"value": i.value, "kind": i.kind, "origin": i.origin} for n, i in inputs.items()},
            "results": [
                {"section": s, "figure": f, "value": None if isinstance(x, Missing) else x}
                | ({"needs": x.placeholders} if isinstance(x, Missing) else {})
                for s, f, x in rows
            ],
        }
        print(json.dumps(out, indent=1))
        return 0

    for note in notes:
        print(f"# {note}")
    measured = [i for i in inputs.values() if i.kind == "measured"]
    print("\n| measured input | value | from |\n| --- | --- | --- |")
    for i in measured:
        print(f"| {i.placeholder} | {'MISSING' if i.value is None else fmt(i.value)} | {i.origin or 'default'} |")
    section = None
    for s, figure, value in rows:
        if s != section:
            section = s
            print(f"\n| {s} | value |\n| --- | --- |")
        print(f"| {figure} | {fmt(value)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Turn the runs of one benchmark into a table and the issue's target ratios."""

from __future__ import annotations

from typing import Any

COLUMNS = (
    ("target", 34),
    ("clients", 7),
    ("deliv/s sat", 11),
    ("srv µs/deliv sat / 50%", 22),
    ("srv cpu%", 8),
    ("window", 6),
    ("sat p99 ms", 10),
    ("50% p50 ms", 10),
    ("50% p99 ms", 10),
    ("fanout last ms", 14),
    ("KB/idle conn", 12),
    ("loadgen cpu%", 12),
    ("other cpu% (softirq)", 20),
)


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _row(run: dict[str, Any]) -> list[str]:
    sat, steady, fanout = run["saturate"], run["steady"], run["fanout"]
    return [
        run["target"],
        str(run["connect"]["connected"]),
        f"{sat['deliveries_per_s']:,}",
        f"{_us(sat['server_cpu_us_per_delivery'])} / {_us(steady['server_cpu_us_per_delivery'])}",
        f"{sat['server_cpu_pct']:.0f}",
        str(sat["window"]),
        f"{sat['latency_ms']['p99']}",
        f"{steady['latency_ms']['p50']}",
        f"{steady['latency_ms']['p99']}",
        f"{fanout['last_client_ms_p50']} / {fanout['last_client_ms_max']}",
        f"{run['rss']['per_idle_connection_kb']}",
        f"{sat['loadgen_cpu_pct']:.0f} / {steady['loadgen_cpu_pct']:.0f}",
        f"{sat['other_cpu_pct']:.0f} ({sat['softirq_cpu_pct']:.0f}) / "
        f"{steady['other_cpu_pct']:.0f} ({steady['softirq_cpu_pct']:.0f})",
    ]


def table(runs: list[dict[str, Any]]) -> str:
    lines = [" | ".join(name.ljust(width) for name, width in COLUMNS)]
    lines.append("-+-".join("-" * width for _, width in COLUMNS))
    for run in runs:
        cells = _row(run)
        lines.append(" | ".join(c.ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=True)))
    return "\n".join(lines)


def markdown_table(runs: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |"]
    lines.append("|" + "---|" * len(COLUMNS))
    lines.extend("| " + " | ".join(_row(run)) + " |" for run in runs)
    return "\n".join(lines)


def pairs(single: list[dict[str, Any]], multi: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each multi-worker run preceded by the 1-worker run of its target at its size."""
    rows: list[dict[str, Any]] = []
    for run in multi:
        base = run["target"].rsplit(" x", 1)[0]
        rows += [r for r in single if r["target"] == base and r["clients"] == run["clients"]]
        rows.append(run)
    return rows


def _find(runs: list[dict[str, Any]], name: str, clients: int) -> dict[str, Any] | None:
    for run in runs:
        if run["target"] == name and run["workers"] == 1 and run["clients"] == clients:
            return run
    return None


def targets(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets for every Townhall target, as measured in this run."""
    checks: list[dict[str, Any]] = []
    ours_names = sorted({r["target"] for r in runs if r["target"].startswith("townhall")})
    for name in ours_names:
        for clients in sorted({run["clients"] for run in runs}):
            checks += _targets_at(runs, name, clients)
    return checks


def _targets_at(runs: list[dict[str, Any]], name: str, clients: int) -> list[dict[str, Any]]:
    ours, node = _find(runs, name, clients), _find(runs, "node-socketio", clients)
    if ours is None:
        return []
    checks: list[dict[str, Any]] = []
    cpu = ours["saturate"]["server_cpu_us_per_delivery"]
    ref = node["saturate"]["server_cpu_us_per_delivery"] if node is not None else None
    if cpu is not None and ref is not None:
        checks.append(
            _check(
                f"{name}: server CPU/delivery <= node socket.io at {clients}",
                f"{cpu:.2f} us vs {ref:.2f} us",
                cpu <= ref,
            )
        )
    if clients == 2000 and node is not None:
        ratio = ours["saturate"]["deliveries_per_s"] / max(1, node["saturate"]["deliveries_per_s"])
        p99 = ours["saturate"]["latency_ms"]["p99"]
        checks.append(
            _check(
                f"{name}: >=10x node socket.io deliveries/s at 2,000, p99 < 100 ms",
                f"{ratio:.1f}x, p99 {p99} ms",
                ratio >= 10 and p99 is not None and p99 < 100,
            )
        )
    if clients == 5000:
        last = ours["fanout"]["last_client_ms_max"]
        checks.append(
            _check(
                f"{name}: one event reaches the last of 5,000 within 100 ms",
                f"max {last} ms",
                last is not None and last < 100,
            )
        )
    kb = ours["rss"]["per_idle_connection_kb"]
    checks.append(
        _check(f"{name}: RSS per idle connection < 20 KB at {clients}", f"{kb} KB", kb < 20)
    )
    return checks


def warnings(runs: list[dict[str, Any]]) -> list[str]:
    """Rows whose load generator was near a full core: there it may be the bottleneck."""
    out: list[str] = []
    for run in runs:
        busiest = max(run["saturate"]["loadgen_cpu_pct"], run["steady"]["loadgen_cpu_pct"])
        if busiest >= 85:
            out.append(
                f"{run['target']} at {run['clients']}: the load generator used {busiest:.0f} % "
                "of a core; throughput and latency there may be the load generator's"
            )
    return out


def _check(name: str, measured: str, met: bool) -> dict[str, Any]:
    return {"target": name, "measured": measured, "met": met}


def markdown(data: dict[str, Any]) -> str:
    """The whole run as Markdown, ready to paste into docs/benchmarks.md."""
    ok = [run for run in data["runs"] if "error" not in run]
    multi = [run for run in data["multi_worker"] if "error" not in run]
    machine = data["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in data["versions"].items())
    lines = [
        f"Run of {data['date']} ({data['mode']}), {machine['cores']} cores, {machine['cpu']}, "
        f"kernel {machine['kernel']}; nice {data['nice']}; latency budget "
        f"{data['latency_budget_ms']} ms; load average at the end "
        f"{' '.join(data['loadavg_at_end'])}.",
        "",
        f"Versions: {versions}.",
        "",
        "One worker, one room:",
        "",
        markdown_table(ok),
    ]
    if multi:
        lines += ["", "1 worker vs 2 workers + Redis:", "", markdown_table(pairs(ok, multi))]
    lines += ["", "Targets of the issue, as measured in this run:", ""]
    lines += [
        f"- {'met' if c['met'] else '**missed**'}: {c['target']} ({c['measured']})"
        for c in data["targets"]
    ]
    lines += [f"- caution: {w}" for w in warnings(ok + multi)]
    failed = [run for run in data["runs"] + data["multi_worker"] if "error" in run]
    lines += [f"- run failed: {r['target']} at {r['clients']}: {r['error']}" for r in failed]
    return "\n".join(lines) + "\n"

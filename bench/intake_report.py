"""Figures and tables of bench/intake.py: `summarise` turns one run into plain numbers (the JSON
file), `render` into the text printed (a summary table, the backlog every 10 s, and a Markdown
snippet for BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from intake_load import Offered, percentile, slope

TARGET_RATE = 100.0
TARGET_P99_MS = 100.0
TARGET_SECONDS = 600.0
PACE_SECONDS = 2.0  # backlog growth over the phase allowed: this many seconds of offered load
RAMP_SECONDS = 10.0  # samples before this are left out of the backlog's trend
SHOW_SECONDS = 10.0


def _latency(offered: Offered) -> dict[str, Any]:
    answered = [a for a in offered.answers if a.status]
    ms = [a.latency * 1000 for a in answered]
    lag = [a.lag * 1000 for a in offered.answers]
    return {"requests": offered.count, "statuses": offered.statuses(),
            "p50_ms": percentile(ms, 0.50), "p95_ms": percentile(ms, 0.95),
            "p99_ms": percentile(ms, 0.99), "max_ms": max(ms, default=float("nan")),
            "send_lag_p99_ms": percentile(lag, 0.99), "send_lag_max_ms": max(lag, default=float("nan"))}


def _windows(offered: Offered, width: float = SHOW_SECONDS) -> list[float]:
    """Accepted per second in consecutive `width`-second windows of answer time (whole ones)."""
    done = sorted(a.due + a.latency - offered.started for a in offered.answers if a.status == 202)
    if not done:
        return []
    counts = [0] * int(done[-1] // width)
    for t in done:
        if int(t // width) < len(counts):
            counts[int(t // width)] += 1
    return [c / width for c in counts]


def summarise(args: argparse.Namespace, result: dict[str, Any], floor: dict[str, float], size: float,
              versions: int, load_before: tuple[float, ...], load_after: tuple[float, ...],
              machine: str) -> dict[str, Any]:
    """The run as plain numbers (what the JSON file holds)."""
    lat, sus = result["latency"], result["sustained"]
    offered: Offered = sus["offered"]
    accepted = offered.accepted()
    span = max(offered.last_answer() - offered.started, 1e-9)
    before, end, drained = sus["counts_before"], sus["counts_end"], sus["counts_drained"]
    cpu, cpu_offered = sus["cpu"], sus["cpu_offered"]
    samples = sus["samples"]
    trend = slope([(s["t"], s["backlog"]) for s in samples if s["t"] >= RAMP_SECONDS])
    backlog = [s["backlog"] for s in samples if s["t"] >= RAMP_SECONDS] or [0]
    delivered_in_phase = end["delivered"] - before["delivered"]
    delivered_total = drained["delivered"] - before["delivered"]
    floor_ms = {name: value * 1000 for name, value in floor.items()}
    floor_sum = sum(floor_ms.values())
    per_dossier = cpu["gateway"] / max(accepted, 1) * 1000
    cores = os.cpu_count() or 1
    others = cpu["machine"] - cpu["gateway"] - cpu["simulator"] - cpu["load_generator"]
    latency = _latency(lat["offered"])
    rejected = offered.count - accepted
    growth = trend * args.duration
    windows = _windows(offered)
    pace = sus["drain_seconds"] is not None and growth <= PACE_SECONDS * args.rate
    targets = {
        "accepted_rate": accepted / span >= TARGET_RATE and rejected == 0,
        "delivery_keeps_pace": pace,
        "p99_latency": latency["p99_ms"] <= TARGET_P99_MS,
        "full_duration": args.duration >= TARGET_SECONDS,
    }
    targets["all_met"] = all(targets.values())
    return {
        "machine": machine, "cores": cores, "load_average_before": load_before,
        "load_average_after": load_after,
        "settings": {k: (str(v) if v is not None and not isinstance(v, int | float | bool | str) else v)
                     for k, v in vars(args).items()},
        "dossier_kb": size / 1024,
        "latency_phase": {**latency, "rate": args.latency_rate, "seconds": args.latency_seconds,
                          "gateway_cpu_ms_per_dossier": lat["cpu_with_drain"]["gateway"]
                          / max(lat["offered"].accepted(), 1) * 1000,
                          "drain_seconds": lat["drain_seconds"]},
        "sustained_phase": {
            "rate": args.rate, "seconds": args.duration, "offered": offered.count,
            "delivered_before": before["delivered"],
            "new_versions": versions, "statuses": offered.statuses(),
            "duplicates": sum(a.duplicate for a in offered.answers),
            "accepted": accepted, "accepted_per_s": accepted / span,
            "accepted_per_s_min_10s": min(windows, default=0.0),
            "delivered_during": delivered_in_phase,
            "delivered_per_s": delivered_in_phase / max(cpu_offered["wall"], 1e-9),
            "delivered_after_drain": delivered_total,
            "refused": drained["refused"] - before["refused"], "dead": drained["dead"] - before["dead"],
            "backlog_mean": sum(backlog) / len(backlog), "backlog_max": max(backlog),
            "backlog_at_end": end["backlog"], "backlog_slope_per_s": trend,
            "backlog_growth_over_phase": growth, "drain_seconds": sus["drain_seconds"],
            "accept_latency": _latency(offered),
            "samples": samples,
        },
        "cpu": {
            "gateway_ms_per_dossier": per_dossier,
            "gateway_ms_per_dossier_offered_only": cpu_offered["gateway"] / max(accepted, 1) * 1000,
            "gateway_cores": cpu_offered["gateway"] / cpu_offered["wall"],
            "gateway_main_process_cores": cpu_offered["gateway_main"] / cpu_offered["wall"],
            "gateway_main_process_share": cpu["gateway_main"] / max(cpu["gateway"], 1e-9),
            "simulator_ms_per_dossier": cpu["simulator"] / max(delivered_total, 1) * 1000,
            "load_generator_ms_per_dossier": cpu["load_generator"] / max(offered.count, 1) * 1000,
            "machine_busy_share": cpu["machine"] / cpu["wall"] / cores,
            "other_processes_cores": others / cpu["wall"],
            "peak_rss_mib": sus["peak_rss_mib"],
            "floor_ms": floor_ms, "floor_sum_ms": floor_sum, "ratio_to_floor": per_dossier / floor_sum,
        },
        "states_at_end": result.get("by_state", {}), "simulator": result.get("simulator", {}),
        "targets": targets,
    }


def _met(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def render(s: dict[str, Any]) -> str:
    """Everything printed at the end of a run."""
    lat, sus, t = s["latency_phase"], s["sustained_phase"], s["targets"]
    lines = [f"Machine: {s['machine']}; load average before {s['load_average_before'][0]:.2f}, "
             f"after {s['load_average_after'][0]:.2f}", "",
             "Backlog every 10 s of the sustained phase (store counts):", "",
             f"{'t (s)':>6} {'accepted':>9} {'delivered':>9} {'backlog':>8} {'QUEUED':>7} {'SENDING':>8} "
             f"{'RETRY':>6} {'gw cores':>8}"]
    last_t, last_cpu, base = 0.0, None, sus["delivered_before"]
    for sample in sus["samples"]:
        if sample["t"] - last_t >= SHOW_SECONDS or sample is sus["samples"][-1]:
            cores = "" if last_cpu is None else f"{(sample['gateway_cpu'] - last_cpu) / (sample['t'] - last_t):.2f}"
            lines.append(f"{sample['t']:6.0f} {sample['accepted']:9} {sample['delivered'] - base:9} "
                         f"{sample['backlog']:8} {sample['QUEUED']:7} {sample['SENDING']:8} "
                         f"{sample['RETRY_WAIT']:6} {cores:>8}")
            last_t, last_cpu = sample["t"], sample["gateway_cpu"]
    lines += ["", "---- Markdown for BENCHMARKS.md ----", "", markdown(s), "", "---- end ----", "",
              f"Targets: accepted rate {_met(t['accepted_rate'])}; delivery keeps pace "
              f"{_met(t['delivery_keeps_pace'])}; p99 at {lat['rate']:g}/s {_met(t['p99_latency'])}; "
              f"10-minute run {_met(t['full_duration'])}."]
    return "\n".join(lines)


def markdown(s: dict[str, Any]) -> str:
    """The section for BENCHMARKS.md."""
    lat, sus, cpu, t = s["latency_phase"], s["sustained_phase"], s["cpu"], s["targets"]
    drain = "not drained" if sus["drain_seconds"] is None else f"{sus['drain_seconds']:.1f} s"
    floor = cpu["floor_ms"]
    rows = [
        ("accept latency at {:g}/s offered, p50 / p95 / p99 / max ({:,} requests, {})".format(
            lat["rate"], lat["requests"], _statuses(lat["statuses"])),
         f"{lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} / {lat['p99_ms']:.1f} / {lat['max_ms']:.0f} ms",
         f"p99 <= {TARGET_P99_MS:g} ms: {_met(t['p99_latency'])}"),
        (f"accepted per second at {sus['rate']:g}/s offered for {sus['seconds']:g} s ({sus['offered']:,} "
         f"requests, {sus['new_versions']:,} of them new versions; {_statuses(sus['statuses'])})",
         f"{sus['accepted_per_s']:.1f} (lowest 10 s: {sus['accepted_per_s_min_10s']:.1f})",
         f">= {TARGET_RATE:g}/s: {_met(t['accepted_rate'])}"
         + ("" if t["full_duration"] else f" (a {sus['seconds']:g} s run, not 10 minutes)")),
        ("load generator late (its own lag before sending) at {:g}/s / {:g}/s, p99".format(
            lat["rate"], sus["rate"]),
         f"{lat['send_lag_p99_ms']:.1f} / {sus['accept_latency']['send_lag_p99_ms']:.1f} ms",
         "counted in the latencies"),
        (f"accept latency at {sus['rate']:g}/s offered, p50 / p99 / max",
         "{p50_ms:.0f} / {p99_ms:.0f} / {max_ms:.0f} ms".format(**sus["accept_latency"]), ""),
        ("delivered per second during the phase", f"{sus['delivered_per_s']:.1f}", ""),
        ("backlog (QUEUED + SENDING + RETRY_WAIT + HELD) after the first 10 s: mean / max; trend",
         f"{sus['backlog_mean']:.0f} / {sus['backlog_max']}; {sus['backlog_slope_per_s']:+.2f}/s "
         f"({sus['backlog_growth_over_phase']:+.0f} over the phase)",
         f"not growing: {_met(t['delivery_keeps_pace'])}"),
        ("drained after the last request in", drain, ""),
        ("after the drain: delivered / refused / dead; sends the simulator received (all phases)",
         f"{sus['delivered_after_drain']:,} / {sus['refused']} / {sus['dead']}; "
         f"{s['simulator'].get('received', 0):,} ({_statuses(s['simulator'].get('by_result', {}))})", ""),
        ("gateway CPU per dossier, accept + deliver (gateway + intake worker process)",
         f"{cpu['gateway_ms_per_dossier']:.2f} ms ({cpu['gateway_cores']:.2f} cores, of which the main "
         f"process {cpu['gateway_main_process_cores']:.2f})", "reported"),
        ("floor: validation + signature verification (chain, CRL, registry)",
         f"{floor['validation']:.2f} + {floor['signature']:.2f} = {cpu['floor_sum_ms']:.2f} ms", ""),
        ("gateway CPU ÷ floor", f"{cpu['ratio_to_floor']:.2f}x", "reported"),
        ("simulator CPU per delivered dossier / load generator CPU per request",
         f"{cpu['simulator_ms_per_dossier']:.2f} / {cpu['load_generator_ms_per_dossier']:.2f} ms", ""),
        ("peak resident memory: gateway (main + intake worker) / simulator",
         "{gateway:.0f} / {simulator:.0f} MiB".format(**cpu["peak_rss_mib"]), ""),
        ("machine busy (all cores) / other processes' share, sustained phase",
         f"{cpu['machine_busy_share']:.0%} / {cpu['other_processes_cores']:.2f} cores", ""),
    ]
    header = [
        "## Intake with delivery (issue 7) — `bench/intake.py`", "",
        f"Typical envelopes of {s['dossier_kb']:.1f} KB signed by the facility, each with its own "
        "MA_LK, POSTed over loopback by an open-loop load generator in its own process (latency from "
        "each request's due time); the gateway (SQLite store, checks in its intake worker process, "
        f"{s['settings']['workers']} delivery sends in flight) delivers to the portal simulator "
        "in a third process, no faults. Floor measured in the same run.", "",
        "| measure | value | target |", "|---|---:|---|",
    ]
    return "\n".join(header + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def _statuses(statuses: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))

"""The table of one database's section of docs/benchmarks.md: a row per measure with its
figures, its target and whether it was met, and the paragraphs under it (the S data, the
purge's output, the RSS series)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.config import (
    APPS,
    GROWN_APPS_PER_ACCOUNT,
    M_TARGET,
    ONLY,
    PARALLEL_CREATES,
    PURGE_P99_FACTOR,
    REPETITIONS,
    RSS_CHUNKS,
    RSS_CONNECTIONS,
    RSS_GROWTH_MB,
    RSS_LIMIT_MB,
    S_KEYS,
    S_TOLERANCE,
    SCALE,
    STOCK_TARGETS,
    TARGETS,
    TOKENS,
)
from bench.load import Scenario

if TYPE_CHECKING:
    from bench.report import Results


RSS_SHAPES = ("B", "P1", "P2", "P3", "P4", "P7")


def fmt_answers(answers: dict) -> str:
    return ", ".join(f"{count} x {status}" for status, count in sorted(answers.items()))


def _row(key, what, rate="", ratio="", p50="", p99="", answers="", sql="", target="", met=None) -> str:
    verdict = "" if met is None else ("yes" if met else "**no**")
    return f"| {key} | {what} | {rate} | {ratio} | {p50} | {p99} | {answers} | {sql} | {target} | {verdict} |"


def _load_row(scenario: Scenario, yardstick: float, sql, target: str = "", met: bool | None = None) -> str:
    rate = scenario.median("rate")
    return _row(
        scenario.key,
        scenario.what,
        f"{rate:,.0f}",
        f"{rate / yardstick:.3f}",
        f"{scenario.median('p50_us') / 1000:.1f}",
        f"{scenario.median('p99_us') / 1000:.1f}",
        fmt_answers(scenario.answers()),
        sql,
        target,
        met,
    )


def _ratio_target(key: str, scenario: Scenario, ratio: float, results: Results) -> tuple[str, bool | None]:
    """The target of a small-data row (met also needs every answer as expected)."""
    queries = results.queries
    if key in TARGETS:
        least = TARGETS[key][results.vendor]
        target, met = f">= {least:.2f} B", ratio >= least
        if key == "P3":
            target, met = f"{target}, <= 2 queries", met and queries.get(key, 99) <= 2
        if key in STOCK_TARGETS and STOCK_TARGETS[key][0] in results.scenarios:
            reference, times = STOCK_TARGETS[key]
            rate = results.scenarios[reference].median("rate")
            target, met = (
                f"{target}, >= {times:g} x {reference}",
                met and scenario.median("rate") >= times * rate,
            )
        if key == "P4" and "R4" in results.scenarios:  # issue 26: faster than the Django admin's list
            r4 = results.scenarios["R4"].median("rate")
            target, met = f"{target}, > R4", met and scenario.median("rate") > r4
        return target, met and scenario.all_expected()
    if key == "P2":
        p1 = results.scenarios["P1"].median("rate") if "P1" in results.scenarios else 0
        met = scenario.median("rate") >= 0.9 * p1 and scenario.all_expected()
        return "as fast as P1 (>= 0.9 x P1), all 401", met
    if key.startswith("R"):
        return "reference", None
    return "", None


def rss_answers_ok(kinds: dict[str, int]) -> bool:
    """Every answer matched one of the six shapes, in equal shares but for the requests in
    flight when a chunk's wrk stopped (at most one per connection)."""
    counts = [kinds.get(key, 0) for key in RSS_SHAPES]
    return set(kinds) == set(RSS_SHAPES) and max(counts) - min(counts) <= 2 * RSS_CONNECTIONS * RSS_CHUNKS


def build_table(results: Results) -> tuple[str, list[str], set[str]]:
    """The table, the paragraphs under it (the S data, the purge's output, the RSS series) and
    the rows that missed their target."""
    scenarios, queries = results.scenarios, results.queries
    rows = [
        "| | what | req/s | ratio to B | p50 ms | p99 ms | answers | SQL/request | target | met |",
        "|---|---|---:|---:|---:|---:|---|---:|---|---|",
    ]
    verdicts: dict[str, bool | None] = {}
    details: list[str] = []
    small = {key: s for key, s in scenarios.items() if key != "C" and not key.startswith("S-")}
    b = small["B"].median("rate") if "B" in small else None
    small_ratios = {key: s.median("rate") / b for key, s in small.items() if b}
    for key, scenario in small.items():
        target, met = _ratio_target(key, scenario, small_ratios[key], results)
        rows.append(_load_row(scenario, b, queries.get(key, ""), target, met))
        verdicts[key] = met
        if key == "B0":
            m = b / scenario.median("rate")
            verdicts["M"] = m >= M_TARGET
            what = "B / B0: what the portal's middleware leaves of a request"
            rows.append(_row("M", what, ratio=f"{m:.3f}", target=f">= {M_TARGET}", met=verdicts["M"]))

    if results.regen is not None:
        regen = results.regen
        verdicts["P5"] = (
            regen["seconds"] <= 0.5 and regen["statements"] <= 14 and regen["untouched"] and regen["emptied"]
        )
        rows.append(
            f"| P5 | regenerate on the App with {TOKENS // 1000}k + {TOKENS // 1000}k tokens "
            f"(median of {REPETITIONS}) | | | {regen['seconds'] * 1000:.0f} | | "
            f"other Apps' {regen['others'][0]:,} + {regen['others'][1]:,} tokens "
            f"{'untouched' if regen['untouched'] else '**changed**'}; the App's refused at once, "
            f"{'their rows purged' if regen['emptied'] else '**rows left**'} afterwards in "
            f"{regen['purge_seconds']:.1f} s | {regen['statements']} | "
            f"<= 0.5 s, <= 14 SQL, others untouched | {'yes' if verdicts['P5'] else '**no**'} |"
        )
    if results.race is not None:
        race = results.race
        verdicts["P6"] = (
            race["created"] == 1 and race["refused"] == PARALLEL_CREATES - 1 and race["server_errors"] == 0
        )
        rows.append(
            f"| P6 | {PARALLEL_CREATES} parallel Add App at {APPS - 1} Apps | | | | | "
            f"{race['created']} created, {race['refused']} refused, {race['server_errors']} x 5xx, "
            f"{race['other']} other; {race['apps']} Apps after | | exactly 1 created, 15 refused, 0 x 5xx | "
            f"{'yes' if verdicts['P6'] else '**no**'} |"
        )

    if "S-B" in scenarios:
        sb, tolerance = scenarios["S-B"].median("rate"), f"{S_TOLERANCE * 100:.0f} %"
        for key in ("S-B", *(f"S-{k}" for k in S_KEYS)):
            if key not in scenarios:
                continue
            scenario, plain = scenarios[key], key[2:]
            ratio = scenario.median("rate") / sb
            target, met = "", None
            if plain in small_ratios and plain != "B":
                least = small_ratios[plain] * (1 - S_TOLERANCE)
                target = f"within {tolerance} of {plain}'s {small_ratios[plain]:.3f} (>= {least:.3f})"
                met = ratio >= least and scenario.all_expected()
            elif plain != "B":
                target = f"within {tolerance} of {plain}'s ratio (not measured in this run)"
            rows.append(_load_row(scenario, sb, queries.get(key, ""), target, met))
            verdicts[key] = met
        grown, refilled = results.grown, results.regen is not None
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in grown.seconds.items())
        details.append(
            f"S data: {grown.accounts:,} Organizations in the Administrator's tree with "
            f"{GROWN_APPS_PER_ACCOUNT} SystemAPI Apps each ({grown.apps:,} Apps), {grown.live_tokens:,} "
            f"live and {grown.expired_tokens:,} expired access tokens, generated in "
            f"{grown.total_seconds:.0f} s ({steps})"
            + (f", at BENCH_SCALE={SCALE:g} of the full set" if SCALE != 1 else "")
            + (f"; before it, P5's App got its {TOKENS:,} + {TOKENS:,} tokens back." if refilled else ".")
        )

    if results.purge is not None:
        purge, load = results.purge, scenarios["C"]
        quiet = scenarios["S-P1"].median("p99_us") / 1000
        during = load.median("p99_us") / 1000
        verdicts["C"] = (
            during <= PURGE_P99_FACTOR * quiet
            and purge["returncode"] == 0
            and purge["left"] == 0
            and load.all_expected()
        )
        rate = load.median("rate")
        rows.append(
            _row(
                "C",
                "P1 while `purge_expired` runs on the S data",
                f"{rate:,.0f}",
                f"{rate / scenarios['S-B'].median('rate'):.3f}",
                f"{load.median('p50_us') / 1000:.1f}",
                f"{during:.1f}",
                f"purge {purge['seconds']:.1f} s (exit {purge['returncode']}), {purge['deleted']:,} expired "
                f"tokens deleted, {purge['left']:,} left; p99 {during / quiet:.2f} x quiet; "
                f"{fmt_answers(load.answers())}",
                "",
                f"p99 <= {PURGE_P99_FACTOR} x quiet p99 (S-P1's {quiet:.1f} ms)",
                verdicts["C"],
            )
        )
        details.append(f"C: `purge_expired` printed: {' '.join(purge['output'].split())}")

    if results.rss is not None:
        rss = results.rss
        answered = sum(rss["kinds"].values())
        if rss["same_worker"]:
            series = rss["series"]
            end, at_end = series[-1]
            # Halfway: the reading nearest half of the requests answered.
            half, at_half = min(series, key=lambda reading: abs(reading[0] - end / 2))
            # A leak grows the anonymous memory; the file-backed part is the program's own
            # mapped files (SQLite's reads are not memory-mapped: config/environment.py).
            growth = at_end["RssAnon"] - at_half["RssAnon"]
            memory = (
                f"{at_half['VmRSS']:.1f} MB at {half:,}, {at_end['VmRSS']:.1f} MB at {end:,}; "
                f"anonymous {at_half['RssAnon']:.1f} to {at_end['RssAnon']:.1f} ({growth:+.1f} MB)"
            )
            met = at_end["VmRSS"] <= RSS_LIMIT_MB and growth <= RSS_GROWTH_MB and rss_answers_ok(rss["kinds"])
        else:
            memory, met = f"**the worker was replaced** within {answered:,} requests", False
        verdicts["RSS"] = met
        shares = ", ".join(f"{rss['kinds'].get(key, 0):,} {key}" for key in RSS_SHAPES)
        others = {key: n for key, n in rss["kinds"].items() if key not in RSS_SHAPES}
        rows.append(
            _row(
                "RSS",
                f"one sync worker, {answered:,} requests of {', '.join(RSS_SHAPES)} in turn",
                f"{rss['rate']:,.0f}",
                "",
                f"{rss['p50_ms']:.1f}",
                f"{rss['p99_ms']:.1f}",
                f"{memory}; answers as expected: {shares}" + (f"; **other**: {others}" if others else ""),
                "",
                f"<= {RSS_LIMIT_MB} MB, <= {RSS_GROWTH_MB} MB more anonymous memory at the end than halfway",
                met,
            )
        )
        series = ", ".join(
            f"{n:,}: {mb['VmRSS']:.1f} ({mb['RssAnon']:.1f} + {mb['RssFile']:.1f})" for n, mb in rss["series"]
        )
        details.append(
            "RSS: the worker's VmRSS in MB (anonymous + file-backed) after each tenth of the requests: "
            f"{series}."
        )

    if ONLY:
        rows.append(_row("", f"only {', '.join(sorted(ONLY))} measured (BENCH_ONLY)"))
    if SCALE != 1:
        rows.append(_row("", f"S data and RSS requests at BENCH_SCALE={SCALE:g}"))
    missed = {key for key, met in verdicts.items() if met is False}
    return "\n".join(rows), details, missed

"""Benchmarks across agencies: each agency's rates for a year, the quartiles of its region, its percentile
among its peers, and the warning list (rates above the thresholds of settings.benchmarks).

The rates, from the report model's keys (report/vocabulary.py; 总计 is the column of every row of part 三):

- 予以公开率   granted_rate              = （一）予以公开·总计 ÷ （七）总计·总计
- 不予公开率   refused_rate              = Σ（三）不予公开 1–8·总计 ÷ （七）总计·总计
- 无法提供占比 unable_rate               = Σ（四）无法提供 1–3·总计 ÷ （七）总计·总计
- 复议纠正率   review_corrected_rate     = 四、行政复议·结果纠正 ÷ 行政复议·总计
- 诉讼纠正率   litigation_corrected_rate = Σ 行政诉讼（未经复议直接起诉、复议后起诉）·结果纠正 ÷ 其总计
- 结转率       carry_rate                = 四、结转下年度继续办理·总计 ÷（一、本年新收 + 二、上年结转）·总计

Not rated (None) when the denominator is missing or zero, when the agency had fewer applications than
`min_applications` (part 三's rates) or fewer cases than `min_cases` (that correction rate): one refusal in
three applications says nothing about an agency. Quartiles and percentiles are over the rated agencies only.

`figures` and `rates` are pure (a stored model in, numbers out). `refresh` runs with the dashboard's roll-up
(monitor/rollup.py): it reads the models of versions stored since the last refresh only, then recomputes
the rates, percentiles and quartiles into tables the page reads by index: of every agency and region after
a full roll-up, of the (region, year) groups a change touched after an incremental one.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nianbao.report import vocabulary as V
from nianbao.report.model import get_path
from nianbao.settings import BenchmarkSettings
from nianbao.storage import benchmarks as stored
from nianbao.storage.models import BENCHMARK_RATES

ALL_REGIONS = ""  # the quartiles of every agency are stored under this region


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    definition: str  # in the printed words of the report
    numerator: str  # figure keys
    denominator: str
    base: str  # "applications" | "cases": which minimum decides whether it is rated


RATES: tuple[Rate, ...] = (
    Rate("granted_rate", "予以公开率", "（一）予以公开 ÷ （七）总计", "granted", "handled", "applications"),
    Rate("refused_rate", "不予公开率", "（三）不予公开 ÷ （七）总计", "refused", "handled", "applications"),
    Rate("unable_rate", "无法提供占比", "（四）无法提供 ÷ （七）总计", "unable", "handled", "applications"),
    Rate("review_corrected_rate", "复议纠正率", "行政复议 结果纠正 ÷ 总计", "review_corrected", "review_total",
         "cases"),
    Rate("litigation_corrected_rate", "诉讼纠正率", "行政诉讼 结果纠正 ÷ 总计（直接起诉与复议后起诉合计）",
         "litigation_corrected", "litigation_total", "cases"),
    Rate("carry_rate", "结转率", "结转下年度继续办理 ÷（本年新收 + 上年结转）", "carried_forward", "received",
         "applications"),
)
RATE_BY_KEY = {rate.key: rate for rate in RATES}
assert tuple(RATE_BY_KEY) == BENCHMARK_RATES  # the stored columns are these rates

_GROUP_ROWS = {group: [t.key for t in V.APPLICATION_ROWS if t.group == group] for group in ("refused", "unable")}
_LITIGATION = ("litigation_direct", "litigation_after_review")


# --- pure: a model's figures and rates ----------------------------------------------------------------------


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sum(values: Iterable[Any]) -> int | None:
    """The sum of the cells that are numbers; None when none is (a part not read is not a zero)."""
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    return sum(numbers) if numbers else None


def figures(model: Mapping[str, Any]) -> dict[str, int | None]:
    """The figures the rates are made of, from a stored model (report.model.Report.to_dict())."""
    apps = model.get("applications") or {}
    appeals = model.get("appeals") or {}

    def total(path: str) -> Any:
        return get_path(apps, f"{path}.total")

    return {
        "received": _sum([total("new_received"), total("carried_over")]),
        "handled": _number(total("total_handled")),
        "granted": _number(total("granted")),
        "partially_granted": _number(total("partially_granted")),
        "refused": _sum(total(path) for path in _GROUP_ROWS["refused"]),
        "unable": _sum(total(path) for path in _GROUP_ROWS["unable"]),
        "carried_forward": _number(total("carried_forward")),
        "review_total": _number(get_path(appeals, "review.total")),
        "review_corrected": _number(get_path(appeals, "review.corrected")),
        "litigation_total": _sum(get_path(appeals, f"{g}.total") for g in _LITIGATION),
        "litigation_corrected": _sum(get_path(appeals, f"{g}.corrected") for g in _LITIGATION),
    }


def rates(figs: Mapping[str, int | None], settings: BenchmarkSettings) -> dict[str, float | None]:
    """Each rate of RATES as a share (0.25 = 25 %), or None when it is not rated (see the module's notes)."""
    received = figs.get("received")
    enough_applications = received is not None and received >= settings.min_applications
    result: dict[str, float | None] = {}
    for rate in RATES:
        numerator, denominator = figs.get(rate.numerator), figs.get(rate.denominator)
        enough = enough_applications if rate.base == "applications" else (
            denominator is not None and denominator >= settings.min_cases)
        rated = enough and numerator is not None and denominator is not None and denominator > 0
        result[rate.key] = numerator / denominator if rated and numerator is not None and denominator else None
    return result


def warnings(values: Mapping[str, float | None], limits: Mapping[str, float]) -> list[str]:
    """The rates above their thresholds (BenchmarkSettings.thresholds())."""
    return [key for key, limit in limits.items() if (value := values.get(key)) is not None and value > limit]


def excess(values: Mapping[str, float | None], limits: Mapping[str, float]) -> float:
    """The largest rate ÷ threshold (above 1: on the warning list; a threshold of 0 counts any rate above 0)."""
    ratios = [value / limit if limit > 0 else 2.0 for key, limit in limits.items()
              if (value := values.get(key)) is not None and value > 0]
    return max(ratios, default=0.0)


def quartiles(values: list[float]) -> tuple[float, float, float] | None:
    """P25, P50, P75 (inclusive linear interpolation, as a spreadsheet's QUARTILE computes them)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def percentiles(values: list[float]) -> dict[float, float]:
    """Value -> its percentile rank among `values` (0–100, mid-rank: ties share the middle of their span)."""
    ordered = sorted(values)
    n = len(ordered)
    ranks: dict[float, float] = {}
    i = 0
    while i < n:
        j = i
        while j < n and ordered[j] == ordered[i]:
            j += 1
        ranks[ordered[i]] = 100.0 * (i + (j - i) / 2) / n
        i = j
    return ranks


# --- the stored tables --------------------------------------------------------------------------------------

_MODEL_BATCH = 500


def sync_figures(session: Session, agency_ids: Collection[str] | None = None) -> list[tuple[str, int]]:
    """Figures of every (agency, year) whose latest version is not the one they were read from (of these
    agencies only, when given); the pairs whose figures differ from those stored (or had none): a report
    published again with the same tables, the usual new version, moves no rate."""
    stale = stored.stale_versions(session, agency_ids)
    before = stored.stored_figures(session, {agency_id for agency_id, _, _ in stale}) if agency_ids is not None else {}
    moved: list[tuple[str, int]] = []
    for start in range(0, len(stale), _MODEL_BATCH):
        batch = stale[start:start + _MODEL_BATCH]
        models = stored.version_models(session, [version_id for _, _, version_id in batch])
        read = {(agency_id, year): (version_id, figures(models.get(version_id) or {}))
                for agency_id, year, version_id in batch}
        stored.upsert_figures(session, [{"agency_id": agency_id, "year": year, "version_id": version_id, **figs}
                                        for (agency_id, year), (version_id, figs) in read.items()])
        moved += [key for key, (_, figs) in read.items()
                  if before.get(key) != tuple(figs[name] for name in stored.FIGURES)]
    return moved


def refresh(session: Session, settings: BenchmarkSettings, changed: Collection[str] | None = None) -> int:
    """Figures brought up to date, then the rates, percentiles and warnings of the agencies and the quartiles of
    the regions recomputed (in the caller's transaction). Returns the number of agency rows written.

    `changed` (the agencies the status roll-up recomputes, among them every agency with a new version since the
    last refresh; None: all) limits the work to these agencies' figures and to the (region, year) groups a
    change can move: those of the figures read anew and those of the agencies whose name, region or level (or
    being watched) differs from their stored rows, in their old region and their new one. Only those groups'
    rows and quartiles are rewritten, and the every-region quartiles of their years; the rows are those a
    full refresh writes."""
    if changed is None or not stored.has_rates(session):
        sync_figures(session)
        return _refresh_all(session, settings)
    moved = sync_figures(session, changed)
    groups = _touched_groups(session, moved, changed)
    return sum(_refresh_groups(session, settings, year, regions) for year, regions in sorted(groups.items()))


def _rate_row(row: Mapping[str, Any], settings: BenchmarkSettings, limits: Mapping[str, float]) -> dict[str, Any]:
    values = rates(row, settings)
    return {**{k: row[k] for k in stored.RATE_ROW_FIELDS}, **values,
            "warnings": len(warnings(values, limits)), "excess": excess(values, limits)}


def _refresh_all(session: Session, settings: BenchmarkSettings) -> int:
    limits = settings.thresholds()
    rows = [_rate_row(row, settings, limits) for row in stored.figure_rows(session)]
    regions = _rank(rows, settings)
    stored.replace_rates(session, rows)
    stored.replace_regions(session, regions)
    return len(rows)


def _touched_groups(session: Session, moved: list[tuple[str, int]], changed: Collection[str]
                    ) -> dict[int, set[str]]:
    """year -> the regions whose rows a full refresh would now write differently: those of figures that moved
    and of agencies whose name, region or level (or being watched) differs from their stored rows."""
    agencies = set(changed) | {agency_id for agency_id, _ in moved}
    now = stored.current_identities(session, agencies)
    before = stored.stored_identities(session, agencies)
    keys = set(moved) | {key for key in now.keys() | before.keys() if now.get(key) != before.get(key)}
    groups: dict[int, set[str]] = defaultdict(set)
    for key in keys:
        for identity in (now.get(key), before.get(key)):
            if identity is not None:
                groups[key[1]].add(identity[1])
    return groups


def _refresh_groups(session: Session, settings: BenchmarkSettings, year: int, regions: set[str]) -> int:
    """Rewrite the rows and quartiles of some regions of a year, then the year's every-region quartiles from
    the stored rates of the year."""
    limits = settings.thresholds()
    rows = [_rate_row(row, settings, limits) for row in stored.figure_rows(session, year, regions)]
    quartile_rows = [q for q in _rank(rows, settings) if q["region"] != ALL_REGIONS]
    count = stored.replace_group_rates(session, year, regions, rows)
    if count or stored.has_rates(session, year):  # a year without any agency row has no every-region row
        for rate, rated in zip(BENCHMARK_RATES, stored.year_values(session, year, BENCHMARK_RATES), strict=True):
            quartile_rows.append(_quartile_row(ALL_REGIONS, year, rate, rated, limits.get(rate)))
    stored.replace_group_quartiles(session, year, regions | {ALL_REGIONS}, quartile_rows)
    return count


def _rank(rows: list[dict[str, Any]], settings: BenchmarkSettings) -> list[dict[str, Any]]:
    """Each row's percentile per rate within its region and year (set in place); the quartile rows."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["region"], row["year"])].append(row)
        groups[(ALL_REGIONS, row["year"])].append(row)
    thresholds = settings.thresholds()
    regions = []
    for (region, year), members in groups.items():
        for rate in BENCHMARK_RATES:
            values = [r[rate] for r in members if r[rate] is not None]
            if region != ALL_REGIONS:
                ranks = percentiles(values)
                for r in members:
                    r[f"{rate}_pct"] = ranks[r[rate]] if r[rate] is not None else None
            regions.append(_quartile_row(region, year, rate, values, thresholds.get(rate)))
    return regions


def _quartile_row(region: str, year: int, rate: str, values: list[float], limit: float | None) -> dict[str, Any]:
    q = quartiles(values)
    return {"region": region, "year": year, "rate": rate, "rated": len(values),
            "p25": q[0] if q else None, "p50": q[1] if q else None, "p75": q[2] if q else None,
            "above": sum(1 for v in values if limit is not None and v > limit)}

"""The benchmarks page (横向对比): a region's agencies side by side on the six rates of monitor/benchmarks.py,
with the region's quartiles, each agency's percentile among its peers, the trend of the last years and the
warning list; without a region, every region's medians. Reads only the precomputed tables (storage/benchmarks.py):
a few index reads per request, whatever the number of agencies.

`build` makes the one context (HTML, `.json` and /api/benchmarks); `charts` the inline SVG geometry the HTML
draws from it (no script, nothing downloaded).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from nianbao.dashboard import queries as Q
from nianbao.dashboard.templating import link, pct
from nianbao.monitor.benchmarks import ALL_REGIONS, RATE_BY_KEY, RATES
from nianbao.settings import BenchmarkSettings
from nianbao.storage import benchmarks as stored

PAGE_SIZE = 50
REGION_PAGE_SIZE = 100
WARNING_LIMIT = 100
ALL_LABEL = "全部地区"

Context = dict[str, Any]


def rate_info(settings: BenchmarkSettings) -> list[Context]:
    thresholds = settings.thresholds()
    return [{"key": r.key, "label": r.label, "definition": r.definition, "threshold": thresholds.get(r.key),
             "base": "申请" if r.base == "applications" else "案件"} for r in RATES]


def _quartiles(rows: Sequence[Mapping[str, Any]], region: str, year: int) -> dict[str, Context]:
    return {r["rate"]: {k: r[k] for k in ("rated", "p25", "p50", "p75", "above")}
            for r in rows if r["region"] == region and r["year"] == year}


def _trend(rows: Sequence[Mapping[str, Any]], region: str, years: list[int]) -> dict[str, list[Context]]:
    by_rate: dict[str, list[Context]] = {r.key: [] for r in RATES}
    found = {(r["rate"], r["year"]): r for r in rows if r["region"] == region}
    for rate in by_rate:
        for year in years:
            row = found.get((rate, year))
            by_rate[rate].append({"year": year, "p25": row["p25"] if row else None, "p50": row["p50"] if row else None,
                                  "p75": row["p75"] if row else None, "rated": row["rated"] if row else 0})
    return by_rate


def _agency(row: Mapping[str, Any], settings: BenchmarkSettings, history: Mapping[int, Mapping[str, Any]],
            years: list[int]) -> Context:
    thresholds = settings.thresholds()
    rates = {r.key: {"value": row[r.key], "percentile": row[f"{r.key}_pct"],
                     "warning": row[r.key] is not None and r.key in thresholds and row[r.key] > thresholds[r.key]}
             for r in RATES}
    received = row["received"]
    return {
        "agency_id": row["agency_id"], "name": row["name"], "region": row["region"], "level": row["level"],
        "report_id": row["report_id"], "received": received, "handled": row["handled"],
        "review_total": row["review_total"], "litigation_total": row["litigation_total"],
        "few_applications": received is None or received < settings.min_applications,
        "rates": rates, "warnings": [RATE_BY_KEY[k].label for k, v in rates.items() if v["warning"]],
        "trend": {r.key: [history.get(y, {}).get(r.key) for y in years] for r in RATES},
    }


def _warning(row: Mapping[str, Any], settings: BenchmarkSettings) -> list[Context]:
    items = []
    for key, limit in settings.thresholds().items():
        value = row.get(key)
        if value is not None and value > limit:
            items.append({"agency_id": row["agency_id"], "name": row["name"], "region": row["region"],
                          "report_id": row["report_id"], "rate": key, "label": RATE_BY_KEY[key].label,
                          "value": value, "threshold": limit, "percentile": row.get(f"{key}_pct")})
    return items


def build(session: Session, query: Mapping[str, str], year: int | None, settings: BenchmarkSettings) -> Context:
    """The page's one context: a region's agencies (`region`), or every region's medians (no region)."""
    years: list[int] = Q.stamped(session, "benchmark-years", stored.years)
    year = year if year in years else (years[0] if years else year)
    region = (query.get("region") or "").strip() or None
    page = max(1, int(query["page"])) if (query.get("page") or "").isdigit() else 1
    context: Context = {"year": year, "years": years, "region": region, "region_label": region or ALL_LABEL,
                        "rates": rate_info(settings), "min_applications": settings.min_applications,
                        "min_cases": settings.min_cases, "agencies": [], "regions": [], "warnings": [],
                        "total": 0, "page": page, "pages": 1, "trend_years": [], "quartiles": {}, "national": {},
                        "trend": {}}
    if year is None:
        return context
    trend_years = [y for y in range(year - settings.trend_years + 1, year + 1)]
    scope = region if region is not None else ALL_REGIONS
    quartile_rows = stored.quartile_rows(session, sorted({scope, ALL_REGIONS}), trend_years)
    context.update(trend_years=trend_years, quartiles=_quartiles(quartile_rows, scope, year),
                   national=_quartiles(quartile_rows, ALL_REGIONS, year),
                   trend=_trend(quartile_rows, scope, trend_years))
    warnings = stored.warning_rows(session, year, region, limit=WARNING_LIMIT)
    context["warnings"] = [item for row in warnings for item in _warning(row, settings)]
    if region is None:
        # Every region's medians change only with the data: read once per refresh, not per request.
        every: list[Context] = Q.stamped(session, f"benchmark-regions-{year}",
                                         lambda s: _region_table(stored.region_medians(s, year), year))
        context.update(regions=every[(page - 1) * REGION_PAGE_SIZE:page * REGION_PAGE_SIZE], total=len(every),
                       pages=max(1, -(-len(every) // REGION_PAGE_SIZE)))
        return context
    rows, total = stored.agency_rows(session, year, region, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    history: dict[str, dict[int, Mapping[str, Any]]] = defaultdict(dict)
    for past in stored.agency_history(session, [r["agency_id"] for r in rows], trend_years):
        history[past["agency_id"]][past["year"]] = past
    context.update(agencies=[_agency(r, settings, history[r["agency_id"]], trend_years) for r in rows],
                   total=total, pages=max(1, -(-total // PAGE_SIZE)))
    return context


def _region_table(rows: Sequence[Mapping[str, Any]], year: int) -> list[Context]:
    """benchmark_regions rows (one per region and rate) as one row per region, with its link and its medians
    in words (cached per refresh: hundreds of regions x six rates are then no work per request)."""
    regions: dict[str, Context] = {}
    for row in rows:
        entry = regions.setdefault(row["region"], {"region": row["region"], "rates": {}, "above": 0, "rated": 0,
                                                   "href": link("/benchmarks", year=year, region=row["region"])})
        entry["rates"][row["rate"]] = {"p50": row["p50"], "rated": row["rated"], "above": row["above"]}
        entry["above"] += row["above"]
        entry["rated"] = max(entry["rated"], row["rated"])
    for entry in regions.values():
        entry["medians"] = [pct((entry["rates"].get(r.key) or {}).get("p50")) for r in RATES]
    return sorted(regions.values(), key=lambda r: (-r["above"], r["region"]))


# --- charts: inline SVG geometry ---------------------------------------------------------------------------

CHART_WIDTH = 520
TREND_WIDTH, TREND_HEIGHT = 220, 90
SPARK_RATES = ("granted_rate", "refused_rate")  # drawn in each agency's row


def _x(value: float | None, scale: float) -> float | None:
    return None if value is None else round(min(max(value, 0.0), scale) / scale * CHART_WIDTH, 1)


def _scale(*values: float | None) -> float:
    """The axis end: 100 % unless a value is above it (a report whose parts do not add up)."""
    return max([1.0, *[v for v in values if v is not None]])


def charts(context: Context) -> Context:
    """Box charts of the quartiles (with the national median and the threshold) and the trend lines."""
    boxes = []
    for rate in context["rates"]:
        q = context["quartiles"].get(rate["key"]) or {}
        national = (context["national"].get(rate["key"]) or {}).get("p50")
        scale = _scale(q.get("p75"), national, rate["threshold"])
        boxes.append({"key": rate["key"], "label": rate["label"], "rated": q.get("rated", 0),
                      "p25": _x(q.get("p25"), scale), "p50": _x(q.get("p50"), scale), "p75": _x(q.get("p75"), scale),
                      "national": _x(national, scale), "threshold": _x(rate["threshold"], scale),
                      "scale_label": f"{scale * 100:.0f}%"})
    sparks = {a["agency_id"]: {k: sparkline(a["trend"][k]) for k in SPARK_RATES} for a in context["agencies"]}
    cells = {a["agency_id"]: [_cell(a["rates"][r["key"]]) for r in context["rates"]] for a in context["agencies"]}
    return {"chart": {"width": CHART_WIDTH, "boxes": boxes}, "trend_charts": _trend_charts(context), "sparks": sparks,
            "cells": cells}


def _cell(rate: Mapping[str, Any]) -> Context:
    """An agency's rate in words, formatted here (fifty rows x six rates through a template macro is slow)."""
    value, percentile = rate["value"], rate["percentile"]
    return {"text": pct(value) if value is not None else "—", "rated": value is not None, "warn": rate["warning"],
            "percentile": f"P{round(percentile)}" if percentile is not None else ""}


def _trend_charts(context: Context) -> list[Context]:
    years = context["trend_years"]
    result = []
    for rate in context["rates"]:
        points = context["trend"].get(rate["key"]) or []
        values = [v for p in points for v in (p["p25"], p["p75"], p["p50"]) if v is not None]
        top = _scale(*values) if values else 1.0
        step = TREND_WIDTH / max(1, len(years) - 1)

        def y(value: float, top: float = top) -> float:
            return round(TREND_HEIGHT - value / top * TREND_HEIGHT, 1)

        line = [f"{i * step:.1f},{y(p['p50'])}" for i, p in enumerate(points) if p["p50"] is not None]
        upper = [f"{i * step:.1f},{y(p['p75'])}" for i, p in enumerate(points) if p["p75"] is not None]
        lower = [f"{i * step:.1f},{y(p['p25'])}" for i, p in enumerate(points) if p["p25"] is not None]
        result.append({"key": rate["key"], "label": rate["label"], "line": " ".join(line),
                       "band": " ".join(upper + lower[::-1]), "top_label": f"{top * 100:.0f}%",
                       "years": [{"x": round(i * step, 1), "year": yr} for i, yr in enumerate(years)],
                       "points": [{"x": round(i * step, 1), "y": y(p["p50"]), "year": p["year"], "p50": p["p50"]}
                                  for i, p in enumerate(points) if p["p50"] is not None]})
    return result


def sparkline(values: list[float | None], width: int = 60, height: int = 18) -> str:
    """SVG polyline points of an agency's rate over the trend years (gaps skipped)."""
    step = width / max(1, len(values) - 1)
    top = _scale(*values)
    return " ".join(f"{i * step:.1f},{height - v / top * height:.1f}" for i, v in enumerate(values) if v is not None)

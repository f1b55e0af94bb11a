"""A people's government's own report against its departments' reports of the same year.

The registry relates them by region and kind: the departments of a government are the agencies of kind
"department" with the government's region (config/agencies.yaml). This module picks them and hands their
parsed models to report.validate.departments_sum, which names the departments still without a report or,
when all are there, compares the government's totals with their sum. The caller passes the models it has
(agency id -> model dict, as stored for each agency's latest version of that year).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nianbao.report.model import Finding, Report
from nianbao.report.validate import departments_sum


class RegisteredAgency(Protocol):
    id: str
    name: str
    region: str
    kind: str


@dataclass
class Agency:
    """A registered agency as a caller holds it (the dashboard: from the report page's agency)."""

    id: str
    name: str
    region: str
    kind: str


class StoredAgency(RegisteredAgency, Protocol):
    model: dict[str, Any] | None


class RegionModels(Protocol):
    """What this module reads: storage.Store.region_models."""

    def region_models(self, region: str, year: int) -> Sequence[StoredAgency]: ...


@dataclass
class DepartmentsCheck:
    departments: list[str]  # the names of the government's registered departments
    findings: list[Finding]


def departments_check(store: RegionModels, government: RegisteredAgency, year: int,
                      model: Mapping[str, Any] | None = None) -> DepartmentsCheck | None:
    """The government's report of `year` against the latest stored models of its region's departments.
    `model`: the government's own model as the caller shows it (a page of an older version); else its
    latest stored one. None for a department, or a government without registered departments."""
    if government.kind != "government":
        return None
    stored = store.region_models(government.region, year)
    departments = departments_of(government, stored)
    if not departments:
        return None
    models: dict[str, Mapping[str, Any] | None] = {a.id: a.model for a in stored}
    if model is not None:
        models[government.id] = model
    return DepartmentsCheck([d.name for d in departments], government_vs_departments(government, stored, models))


def departments_of(government: RegisteredAgency, agencies: Iterable[RegisteredAgency]) -> list[RegisteredAgency]:
    """The departments registered in the government's region."""
    return [a for a in agencies if a.kind == "department" and a.region == government.region and a.id != government.id]


def government_vs_departments(government: RegisteredAgency, agencies: Iterable[RegisteredAgency],
                              models: Mapping[str, Mapping[str, Any] | None]) -> list[Finding]:
    """departments_sum for a government, its departments found in the registry; [] when it has none."""
    if government.kind != "government":
        return []
    own = models.get(government.id)
    if own is None:
        return []
    departments = departments_of(government, agencies)
    if not departments:
        return []
    reports = {d.name: _report(models.get(d.id)) for d in departments}
    return departments_sum(Report.from_dict(dict(own)), reports)


def _report(model: Mapping[str, Any] | None) -> Report | None:
    return Report.from_dict(dict(model)) if model is not None else None

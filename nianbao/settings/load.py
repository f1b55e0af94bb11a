"""Reading the settings file (config/nianbao.yaml) and the agencies file it names.

`load_settings(path)` reads both, validates them against the models (nianbao.settings.models), resolves
relative paths against the folder of the settings file (so a config folder can be moved with its data),
and reports every mistake at once: `SettingsError` lists one line per mistake, naming the file, the agency
and the field.

Path rules:
- `path` argument, else env NIANBAO_CONFIG, else `config/nianbao.yaml` under the current directory.
  A missing default file means "all defaults, no agencies"; a missing explicit file is an error.
- `database_url`: env NIANBAO_DATABASE_URL wins. A relative SQLite path in the file resolves against the
  settings file's folder; one given in the environment resolves against the current directory.
- `blob_dir`, `outbox_dir`, `agencies`: relative to the settings file's folder.
"""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from nianbao.settings.models import DEFAULT_DATABASE_URL, AgencyConfig, Must, Section, Settings

DEFAULT_SETTINGS_PATH = Path("config") / "nianbao.yaml"
_NOT_A_MAPPING = ("model_type", "model_attributes_type", "dict_type")


class SettingsError(Exception):
    """Invalid settings. `problems` holds one line per mistake; str() joins them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- pydantic's errors as one line per mistake --------------------------------------------------------------


def problem_lines(error: ValidationError, model: type[Section], data: Any, where: str) -> list[str]:
    """The lines of `error` (validating `data` against `model`), in the order of the model's fields with
    unknown keys first in each mapping, each naming where the mistake is and what was expected."""
    lines = sorted((_problem(detail, model, data, where) for detail in error.errors(include_url=False)),
                   key=lambda problem: problem[0])
    return list(dict.fromkeys(line for _, line in lines))


Rank = tuple[tuple[int, int], ...]


def _problem(detail: ErrorDetails, model: type[Section], data: Any, where: str) -> tuple[Rank, str]:
    """One error as (its place in the model, its line): walks the error's location through the models."""
    loc, rank = list(detail["loc"]), []
    while loc:
        name = loc.pop(0)
        if not isinstance(name, str) or name not in model.model_fields:
            rank.append((0, 0))  # unknown keys first
            return tuple(rank), f'{where}: unknown key "{name}"{_hint(str(name), model)}'
        rank.append((1, list(model.model_fields).index(name)))
        annotation = model.model_fields[name].annotation
        value = data.get(name) if isinstance(data, Mapping) else None
        inner = _model_of(annotation)
        index = loc[0] if loc and isinstance(loc[0], int) else None
        if inner is None or (inner is not annotation and index is None):  # a value, or a list's own error
            return tuple(rank), _field_line(detail, model, name, loc, value, where)
        if index is not None:  # an entry of a list of mappings (recipients)
            del loc[0]
            rank.append((1, index))
            data = value[index] if isinstance(value, list) and index < len(value) else None
            where, model = f"{where}: {name}[{index}]{_label(inner, data)}", inner
        else:  # a section
            where, model, data = f"{where}: {name}", inner, value
    return tuple(rank), _model_line(detail, model, where)


def _field_line(detail: ErrorDetails, model: type[Section], name: str, rest: list[Any], value: Any,
                where: str) -> str:
    field = model.model_fields[name]
    must = _must(field.metadata) or _must_in(field.annotation)
    key = name
    if rest and isinstance(rest[0], int):  # an item of a list: named by its index when its type says why
        item_must = _must_in(_item_type(field.annotation))
        if item_must:
            key, must, value = f"{name}[{rest[0]}]", item_must, detail["input"]
    if detail["type"] == "missing":
        return f"{where}: {key} is missing"
    if detail["type"] == "sentence":
        return f"{where}: {key} {detail['msg']}"
    error = (detail.get("ctx") or {}).get("error")
    suffix = f": {error}" if detail["type"] == "value_error" and str(error) else ""
    return f"{where}: {key} must be {must}{suffix}, got {_show(value)}"


def _model_line(detail: ErrorDetails, model: type[Section], where: str) -> str:
    if detail["type"] in _NOT_A_MAPPING:
        return f"{where}: must be {model.shape}"
    return f"{where}: {detail['msg']}"


def _hint(name: str, model: type[Section]) -> str:
    known = [key for key in model.model_fields if key not in model.internal]
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f' (did you mean "{guess[0]}"?)' if guess else f" (known: {', '.join(known)})"


def _label(model: type[Section], data: Any) -> str:
    key = model.label_key
    value = data.get(key) if key and isinstance(data, Mapping) else None
    return f' "{value}"' if isinstance(value, str) else ""


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _must(metadata: list[Any]) -> str | None:
    return next((m.text for m in metadata if isinstance(m, Must)), None)


def _must_in(annotation: Any) -> str:
    """The Must text of a type: on the type itself, else on the one non-None member of an optional."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _must(list(annotation.__metadata__)) or _must_in(typing.get_args(annotation)[0])
    members = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is not tuple and len(members) == 1:
        return _must_in(members[0])
    return ""


def _item_type(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    return args[0] if typing.get_origin(annotation) is tuple and args else None


def _model_of(annotation: Any) -> type[Section] | None:
    """The model a field holds (a section), or holds a list of (recipients)."""
    for candidate in (annotation, _item_type(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Section):
            return candidate
    return None


# --- files ---------------------------------------------------------------------------------------------------


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found: {path}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: cannot be read: {exc}")
        return None
    try:
        # libyaml when present: the same safe loading, several times faster on a registry of thousands.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: is not valid YAML: " + " ".join(str(exc).split()))
        return None


def _load_agencies(path: Path, problems: list[str]) -> tuple[AgencyConfig, ...]:
    where = path.name
    data = _read_yaml(path, problems)
    if data is None:
        return ()
    if not isinstance(data, Mapping) or "agencies" not in data:
        problems.append(f"{where}: must have a top-level `agencies:` list")
        return ()
    problems.extend(f'{where}: unknown key "{key}"' for key in data if key != "agencies")
    entries = data["agencies"] or []
    if not isinstance(entries, list):
        problems.append(f"{where}: `agencies` must be a list")
        return ()
    agencies: list[AgencyConfig] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        agency_id = entry.get("id") if isinstance(entry, Mapping) else None
        label = f'{where}: agency "{agency_id}"' if isinstance(agency_id, str) and agency_id else \
            f"{where}: agency #{index + 1}"
        if isinstance(agency_id, str) and agency_id in first_index:
            problems.append(f"{label}: duplicate id (entries #{first_index[agency_id] + 1} and #{index + 1})")
            continue
        if isinstance(agency_id, str):
            first_index[agency_id] = index
        try:
            agencies.append(AgencyConfig.model_validate(entry))
        except ValidationError as exc:
            problems.extend(problem_lines(exc, AgencyConfig, entry, label))
    return tuple(agencies)


def _database_url(value: str | None, base: Path, where: str, problems: list[str]) -> str:
    from_env = os.environ.get("NIANBAO_DATABASE_URL")
    if from_env:
        value, base, where = from_env, Path.cwd(), "NIANBAO_DATABASE_URL"
    return _absolute_sqlite(value or DEFAULT_DATABASE_URL, base, where, problems)


def _absolute_sqlite(url_text: str, base: Path, where: str, problems: list[str]) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(url_text)
    except ArgumentError:
        problems.append(f"{where}: database_url is not a database URL, got {_show(url_text)}")
        return DEFAULT_DATABASE_URL
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return url_text
    database = Path(url.database).expanduser()
    if database.is_absolute():
        return url_text
    return url.set(database=str((base / database).resolve())).render_as_string(hide_password=False)


def _settings_path(path: str | os.PathLike[str] | None) -> tuple[Path, bool]:
    """The file to read and whether the user named it (a named file must exist)."""
    if path is not None:
        return Path(path), True
    if os.environ.get("NIANBAO_CONFIG"):
        return Path(os.environ["NIANBAO_CONFIG"]), True
    return DEFAULT_SETTINGS_PATH, False


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate the settings and agencies files; raises SettingsError listing every mistake."""
    settings_path, explicit = _settings_path(path)
    problems: list[str] = []
    if not explicit and not settings_path.exists():
        data: Any = {}
        base, where, source = Path.cwd(), "defaults", None
    else:
        data = _read_yaml(settings_path, problems)
        base, where, source = settings_path.resolve().parent, settings_path.name, settings_path.resolve()
    if data is None and not problems:
        data = {}  # an empty file: all defaults
    if data is not None and not isinstance(data, Mapping):
        problems.append(f"{where}: must be {Settings.shape}")
    if problems:
        raise SettingsError(problems)
    settings = _build(data, base, where, source, problems)
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


def _build(data: Mapping[str, Any], base: Path, where: str, source: Path | None,
           problems: list[str]) -> Settings | None:
    values = {key: value for key, value in data.items() if key != "agencies"}
    for key in Settings.internal:  # fields the loader fills: not settable in the file
        if key in values:
            problems.append(f'{where}: unknown key "{key}"{_hint(key, Settings)}')
            del values[key]
    agencies_file = _agencies_file(data, base, where, problems)
    agencies = _load_agencies(agencies_file, problems) if agencies_file else ()
    try:
        settings = Settings.model_validate(values, context={"agency_ids": {a.id for a in agencies}})
    except ValidationError as exc:
        problems.extend(problem_lines(exc, Settings, values, where))
        return None
    return settings.model_copy(update={
        "database_url": _database_url(values.get("database_url"), base, where, problems),
        "blob_dir": (base / settings.blob_dir.expanduser()).resolve(),
        "outbox_dir": (base / settings.outbox_dir.expanduser()).resolve(),
        "agencies_file": agencies_file,
        "agencies": agencies,
        "path": source,
    })


def _agencies_file(data: Mapping[str, Any], base: Path, where: str, problems: list[str]) -> Path | None:
    value = data.get("agencies")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: agencies must be a path, got {_show(value)}")
        return None
    return (base / Path(value).expanduser()).resolve()


def settings_from_context(ctx: Any, *, database: bool = False) -> Settings:
    """For click commands: the settings named by `nianbao --config`, errors as a click message.

    For a command that opens the database (`database=True`) when no settings file was named (no --config,
    no NIANBAO_CONFIG): one line on stderr says which file is used, or that none was found and the
    defaults apply; it then refuses to create a new SQLite file under whatever folder the user stands in:
    it says where it would have gone and how to name a settings file instead."""
    import click

    obj = ctx.find_root().obj or {}
    try:
        settings = load_settings(obj.get("config_path"))
    except SettingsError as exc:
        raise click.ClickException(f"设置有误（invalid settings）:\n{exc}") from exc
    if not database or _settings_path(obj.get("config_path"))[1]:
        return settings
    if settings.path is not None:
        click.echo(f"设置文件：{settings.path}", err=True)
        return settings
    click.echo(f"未找到设置文件 {DEFAULT_SETTINGS_PATH}（当前目录 {Path.cwd()}），使用默认设置", err=True)
    if database:
        refuse_unconfigured_database(settings)
    return settings


def unconfigured_database(settings: Settings) -> Path | None:
    """The SQLite file the defaults would create although nobody configured it (None: configured, or it
    exists already, or not SQLite)."""
    if settings.path is not None or os.environ.get("NIANBAO_DATABASE_URL"):
        return None
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    return None if database.exists() else database


def refuse_unconfigured_database(settings: Settings) -> None:
    import click

    database = unconfigured_database(settings)
    if database is not None:
        raise click.ClickException(
            f"没有设置文件，不会在当前目录新建数据库 {database}。\n"
            "请用 --config 指定设置文件（或设置 NIANBAO_CONFIG / NIANBAO_DATABASE_URL），"
            "或先运行 `nianbao demo` 生成一套示例设置。")

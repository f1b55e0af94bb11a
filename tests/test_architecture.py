"""The house rules, checked: one import namespace, every import arrow pointing down, no circles, typed rooms.

The layering contracts live in pyproject.toml ([tool.importlinter]); docs/ARCHITECTURE.md explains them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_LINT = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
ROOMS = ("report", "storage", "monitor", "crawler", "alerts", "dashboard")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(cwd))
    return subprocess.run([sys.executable, "-c", _LINT], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _copy_tree(tmp_path: Path) -> Path:
    """A copy of the package with the rooms' links resolved, so a planted import changes nothing here."""
    copy = tmp_path / "house"
    shutil.copytree(REPO / "nianbao", copy / "nianbao", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_every_room_is_a_subpackage_of_nianbao_linked_from_its_top_level_folder():
    for room in ROOMS:
        link = REPO / "nianbao" / room
        assert link.is_symlink(), f"nianbao/{room} must link to the top-level folder {room}/"
        assert link.resolve() == (REPO / room).resolve()
        assert (REPO / room / "__init__.py").is_file()


def test_layering_contracts_hold():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("room_file", "planted", "contract"),
    [
        ("report/model.py", "import nianbao.storage.models", "Every import arrow points down"),
        ("storage/models.py", "import nianbao.monitor.status", "Every import arrow points down"),
        ("storage/blobs.py", "import nianbao.report.parser", "Storage never parses"),
        ("report/cells.py", "import nianbao.report.tables", "No import circle"),
    ],
)
def test_a_planted_upward_import_or_circle_breaks_a_contract(tmp_path, room_file, planted, contract):
    copy = _copy_tree(tmp_path)
    target = copy / "nianbao" / room_file
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}  # planted by the test\n", encoding="utf-8")
    result = _lint_imports(copy)
    assert result.returncode != 0, result.stdout
    assert f"{contract}" in result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout


def test_mypy_passes_strict_on_the_report_library_storage_and_settings():
    cache = REPO / ".mypy_cache"
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache)], cwd=REPO,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_a_wheel_holds_only_the_nianbao_package_and_its_data(tmp_path):
    # No build isolation: the test must not download setuptools; the one installed here builds the wheel.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    wheel = next(tmp_path.glob("nianbao-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"nianbao"}
    for needed in ("nianbao/report/parser.py", "nianbao/dashboard/templates/base.html",
                   "nianbao/dashboard/static/style.css", "nianbao/alerts/templates/digest.html.j2",
                   "nianbao/storage/alembic.ini", "nianbao/storage/migrations/env.py",
                   "nianbao/app/demo_farm/lishui_2020.txt", "nianbao/app/demo_farm/dongguan_2020.pdf"):
        assert needed in names, needed

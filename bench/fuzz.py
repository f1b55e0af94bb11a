"""Fuzz: N mutated documents of every format through the per-document budget; crashes, slowest, peak RSS.

    python3 bench/fuzz.py                       # 10,000 documents, seed 11
    python3 bench/fuzz.py --count 500 --seed 3 --timeout 30 --memory-mb 1024

Seeds are tests/fixtures (corpus texts and PDFs; the five seeds as text, HTML and DOCX), changed by
tests/hostile/mutate.py. Each document goes through report.check_in_budget, the call the crawler and
`nianbao check` make: a forked child under RLIMIT_AS and a timeout. A crash is any outcome other than a
result or UnreadableDocument (OverBudget included in the latter, counted apart); crashing inputs are saved
under bench/.cache/fuzz-crashes/. Peak RSS is the largest resident size of any child (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nianbao.report import OverBudget, UnreadableDocument, check_in_budget  # noqa: E402
from nianbao.report.limits import Limits  # noqa: E402
from tests.hostile.mutate import mutate, seeds  # noqa: E402

CRASHES = ROOT / "bench" / ".cache" / "fuzz-crashes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=Limits().check_timeout)
    parser.add_argument("--memory-mb", type=int, default=Limits().max_memory // 2**20)
    args = parser.parse_args()
    limits = Limits(check_timeout=args.timeout, max_memory=args.memory_mb * 2**20)
    rng = random.Random(args.seed)
    pool = seeds()
    outcomes: Counter[tuple[str, str]] = Counter()
    timings: list[tuple[float, str, str]] = []
    crashes: list[str] = []
    peak, peak_doc = 0, ""
    started = time.monotonic()
    for number in range(args.count):
        seed = rng.choice(pool)
        data, how = mutate(seed, rng)
        label = f"#{number} {seed.filename} {how} ({len(data)} B)"
        outcome, seconds = _run(data, seed.filename, limits)
        if outcome.startswith("crash"):
            crashes.append(f"{label}: {outcome}")
            CRASHES.mkdir(parents=True, exist_ok=True)
            (CRASHES / f"{number}-{seed.filename}").write_bytes(data)
        outcomes[(seed.kind, outcome.split(":")[0])] += 1
        timings.append((seconds, label, outcome[:80]))
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        if rss > peak:
            peak, peak_doc = rss, label
        if (number + 1) % 500 == 0:
            print(f"  {number + 1} documents, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    _print(args, outcomes, timings, crashes, peak, peak_doc, time.monotonic() - started)
    return 1 if crashes else 0


def _run(data: bytes, filename: str, limits: Limits) -> tuple[str, float]:
    start = time.monotonic()
    try:
        result = check_in_budget(data, filename, limits)
        outcome = "read" if result.fully_read else "not fully read"
    except OverBudget as exc:
        outcome = f"over budget: {exc}"
    except UnreadableDocument:
        outcome = "unreadable"
    except Exception as exc:  # noqa: BLE001 - that is what a fuzzer looks for
        outcome = f"crash: {type(exc).__name__}: {exc}"
    return outcome, time.monotonic() - start


def _print(args: argparse.Namespace, outcomes: Counter[tuple[str, str]], timings: list[tuple[float, str, str]],
           crashes: list[str], peak: int, peak_doc: str, elapsed: float) -> None:
    print(f"fuzz: {args.count} documents, seed {args.seed}, budget {args.memory_mb} MB / {args.timeout:g} s, "
          f"{elapsed:.0f} s")
    for kind in sorted({kind for kind, _ in outcomes}):
        counts = ", ".join(f"{outcome} {n}" for (k, outcome), n in sorted(outcomes.items()) if k == kind)
        print(f"  {kind:<5} {counts}")
    print(f"crashes: {len(crashes)}")
    for line in crashes[:20]:
        print("  " + line)
    over_10 = sum(1 for seconds, _, _ in timings if seconds > 10)
    print(f"over 10 s: {over_10}; peak RSS of a child: {peak / 2**20:.0f} MB ({peak_doc}); "
          f"over 1 GiB: {'yes' if peak > 2**30 else 'none'}")
    print("slowest:")
    for seconds, label, outcome in sorted(timings, reverse=True)[:10]:
        print(f"  {seconds:6.2f} s  {label}  -> {outcome}")


if __name__ == "__main__":
    sys.exit(main())

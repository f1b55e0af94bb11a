"""Benchmark: `nianbao check` on a 6-page scanned report, as a user runs it (a new process, one core).

    python3 bench/ocr_check.py                # 5 runs of `taskset -c 0 nianbao check FILE`
    python3 bench/ocr_check.py --runs 3 --noise clean --typeface serif
    python3 bench/ocr_check.py --profile      # CPU by step (cProfile) and by onnxruntime operator

The report is printed the way agencies print one (headless Chromium, A4): a page of prose (part 一), the
tables of part 二, table 三, table 四, a page of prose (parts 五 and 六), the signature and date under the
seal. The printout is scanned (tests/readers/scanned.py: rasterised, noise, skew, the red seal) and wrapped in
an image-only PDF, generated once into bench/.cache.

The figure is the CPU time of the whole command (Python start-up, imports, the forked reader: getrusage of the
children), its wall time and peak RSS, and whether every cell of the tables came back right.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.readers.producers import (  # noqa: E402
    Report,
    appeals_table,
    applications_table,
    esc,
    expected,
    plain_table,
    proactive_tables,
)
from tests.readers.scanned import LEVELS, OFFICE, SONG, Noise, consistent_report, print_pdf, to_pdf  # noqa: E402
from tests.readers.scanned import _scanned as scanned  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "ocr_check"
NOISES = {"clean": LEVELS[0], "office": OFFICE}
SEED = 5
# Paragraphs of part 一 as reports word them: long lines of prose with a few figures.
PROSE = (
    "（一）主动公开情况。{year}年，本机关坚持以公开为常态、不公开为例外，围绕重点领域信息公开要求，"
    "通过门户网站、政务新媒体、政务公开专栏等渠道主动公开政府信息{a}条，其中机构职能类信息{b}条，"
    "政策文件类信息{c}条，财政预决算类信息{d}条，重大建设项目类信息{e}条，公共资源配置类信息{f}条。",
    "（二）依申请公开情况。全年共受理政府信息公开申请{b}件，上年结转{d}件，均在法定期限内予以答复，"
    "答复内容符合《中华人民共和国政府信息公开条例》要求，未发生因依申请公开引起的行政复议被纠错情况。",
    "（三）政府信息管理情况。进一步规范政府信息公开属性源头认定，严格落实公文类信息公开属性审查机制，"
    "对拟公开的政府信息依法依规进行保密审查，全年审查信息{c}条，动态更新政府信息公开指南和目录。",
    "（四）政府信息公开平台建设情况。持续加强政府网站和政务新媒体建设管理，优化栏目设置，完善检索功能，"
    "开展网站常态化监测，全年发布政务微博、微信信息{e}条，回应公众关切{f}次，提升平台服务能力。",
    "（五）监督保障情况。将政务公开工作纳入年度绩效考核，组织开展业务培训{a}次，参训人员{b}人次，"
    "主动接受社会监督，畅通意见建议渠道，全年未发生因政府信息公开工作受到责任追究的情况。",
)
CLOSING = (
    "五、存在的主要问题及改进情况",
    "{year}年，本机关政府信息公开工作取得了一定成效，但也存在一些不足：一是公开内容的深度和广度还需进一步拓展，"
    "二是政策解读的形式还不够丰富，三是依申请公开办理的规范化水平有待提高。下一步，本机关将加强业务培训，"
    "完善工作机制，丰富政策解读形式，提高依申请公开办理质量，推动政务公开工作再上新台阶。",
    "六、其他需要报告的事项",
    "本年度本机关未收取信息处理费。本机关认真落实政务公开工作要点，全年办理人大代表建议{a}件、政协委员提案{b}件，"
    "办结率百分之百，建议提案办理复文均已按要求公开。",
)
# The typeface the report is printed in: the browser's default (a sans-serif CJK face, as the tests' scans)
# or a Song face (宋体-like, as many agencies print).
TYPEFACES = {"sans": "", "serif": SONG}
CSS = ("body{font-size:16px;line-height:1.8;margin:0 20px}"
       "h1{font-size:22px;text-align:center} p{text-indent:2em;margin:0}"
       "table{border-collapse:collapse;width:100%;font-size:13px;line-height:1.3} td,th{border:1px solid #000;"
       "padding:1px 3px} .page{break-before:page} .sign{text-align:right;margin-top:4em}")


def report_html(report: Report, typeface: str) -> bytes:
    """The report as a document printed page by page (each part that starts a printed page: class page)."""
    # Part 一's figures of applications agree with table 三 (the check compares them).
    figures = {"year": report.year, "a": 1286, "b": report.applications["new_received"][6],
               "c": 342, "d": report.applications["carried_over"][6], "e": 615, "f": 23}
    para = "".join(f"<p>{esc(text.format(**figures))}</p>" for text in PROSE)
    tables = proactive_tables(report)
    body = [f"<h1>{esc(report.title)}</h1>",
            "<p>本报告根据《中华人民共和国政府信息公开条例》要求编制，所列数据统计期限自当年1月1日起至12月31日止。</p>",
            "<p>一、总体情况</p>", para,
            '<div class="page"><p>二、主动公开政府信息情况</p>', *map(plain_table, tables), "</div>",
            '<div class="page"><p>三、收到和处理政府信息公开申请情况</p>', plain_table(applications_table(report)),
            "</div>", '<div class="page"><p>四、政府信息公开行政复议、行政诉讼情况</p>',
            plain_table(appeals_table(report)), "</div>",
            '<div class="page">', *(f"<p>{esc(text.format(**figures))}</p>" for text in CLOSING), "</div>",
            f'<div class="page sign"><p>{esc(report.agency)}</p>',
            f"<p>{report.date[:4]}年{int(report.date[5:7])}月{int(report.date[8:])}日</p></div>"]
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{CSS}{TYPEFACES[typeface]}</style></head>'
            f"<body>{''.join(body)}</body></html>").encode()


def scanned_report(noise: Noise, typeface: str) -> Path:
    """The 6-page scan (generated once), the seal stamped over the signature."""
    target = CACHE / f"report-{noise.name}-{typeface}.pdf"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        printed = pdfium.PdfDocument(print_pdf(report_html(consistent_report(SEED), typeface)))
        rng, grain = random.Random(SEED), np.random.default_rng(SEED)
        last = len(printed) - 1
        pages = [scanned(printed[i].render(scale=noise.dpi / 72).to_pil().convert("RGB"), noise, rng, grain,
                         seal=noise.seal and i == last) for i in range(len(printed))]
        target.write_bytes(to_pdf(pages, noise.dpi))
    return target


def run_check(path: Path) -> tuple[float, float, float, str]:
    """CPU s (user+sys of the command and its children), wall s, peak RSS MB, stdout."""
    command = [shutil.which("taskset") or "taskset", "-c", "0", sys.executable, "-m", "nianbao.cli", "check", str(path)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return cpu, wall, after.ru_maxrss / 1024, done.stdout


def accuracy(path: Path) -> tuple[int, int, int]:
    """Cells right / doubtful / wrong (as tests/readers/test_ocr_scans.py counts them)."""
    from nianbao.report.check import check_bytes
    from tests.readers.test_ocr_scans import score

    result = check_bytes(path.read_bytes(), path.name)
    out = score(result, SEED)
    for cell in out.wrong_cells:
        print("  wrong:", cell)
    return out.right, out.doubtful, out.wrong


# The steps of reading a scan, by the function that does each (cumulative CPU under cProfile).
STEPS = (
    ("render the pages (pdfium, 150 dpi)", "render"),
    ("skew search", "skew_angle"),
    ("ruling runs", "_ruling_runs"),
    ("ink mask", "ink_mask"),
    ("ink lines", "find_lines"),
    ("table finding on the rulings", "table_cells"),
    ("recogniser: model load", "_model"),
    ("recogniser: the model run (onnxruntime)", "_run"),
    ("recogniser in all (scaling, strips, model, decoding)", "recognise"),
    ("whole check_bytes (read, parse, check)", "check_bytes"),
)


def profile(path: Path) -> None:
    """CPU by step of one cold check_bytes, each in a fresh process on one core: the imports, cProfile's
    steps, onnxruntime's own profile of its operators."""
    _print_load()
    for step in ("imports", "steps", "operators"):
        subprocess.run(["taskset", "-c", "0", sys.executable, __file__, "--profile-step", step, str(path)], check=True)


def profile_step(step: str, path: Path) -> None:
    if step == "imports":
        start = time.process_time()
        import nianbao.app.check  # noqa: F401, PLC0415 - the import is what is measured
        from nianbao.report.budget import _preload  # noqa: PLC0415
        from nianbao.settings.load import load_settings  # noqa: PLC0415

        _preload()
        load_settings(None)
        print(f"| imports of the check command and the readers, settings loaded | {time.process_time() - start:.2f} s |")
    elif step == "steps":
        _profile_steps(path)
    else:
        _profile_operators(path)


def _profile_steps(path: Path) -> None:
    from nianbao.report.check import check_bytes  # noqa: PLC0415

    profiler = cProfile.Profile()
    profiler.runcall(check_bytes, path.read_bytes(), path.name)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for label, function in STEPS:
        seconds = [cumulative for (_, _, name), (_, _, _, cumulative, _) in stats.items() if name == function]
        print(f"| {label} | {max(seconds, default=0.0):.2f} s |")


def _profile_operators(path: Path) -> None:
    """onnxruntime's per-operator profile (SessionOptions.enable_profiling): its share of each kind of
    operator, and of the final classifier (the MatMul to ~18k classes, its bias Add and the Softmax)."""
    import onnxruntime  # noqa: PLC0415

    from nianbao.report.check import check_bytes  # noqa: PLC0415
    from nianbao.report.readers import recogniser  # noqa: PLC0415

    make_inference = onnxruntime.InferenceSession

    def profiled(model: str, sess_options: onnxruntime.SessionOptions, **kwargs: object) -> object:
        sess_options.enable_profiling = True
        sess_options.profile_file_prefix = str(CACHE / "onnxruntime")
        return make_inference(model, sess_options=sess_options, **kwargs)

    onnxruntime.InferenceSession = profiled  # type: ignore[assignment,misc]
    check_bytes(path.read_bytes(), path.name)
    events = json.loads(Path(recogniser._model()[0].end_profiling()).read_text())
    kernels = [(event["args"]["op_name"], event["name"], event["dur"]) for event in events
               if event.get("cat") == "Node" and event["name"].endswith("_kernel_time")]
    total = sum(duration for _, _, duration in kernels)
    by_kind: collections.Counter[str] = collections.Counter()
    for kind, _, duration in kernels:
        by_kind[kind] += duration
    for kind, duration in by_kind.most_common(6):
        print(f"| operators {kind} | {100 * duration / total:.0f}% |")
    head = sum(duration for kind, name, duration in kernels if kind in ("Softmax", "FusedMatMul", "MatMul", "Add")
               and not name.split("_")[0].endswith("nchwc") and _is_head(name, kernels))
    print(f"| the final classifier (MatMul to the classes, bias, Softmax) | {100 * head / total:.0f}% |")


def _is_head(name: str, kernels: list[tuple[str, str, int]]) -> bool:
    """The classifier's nodes are the few slowest non-convolution nodes: the largest tensors of the model."""
    slowest = collections.Counter[str]()
    for kind, node, duration in kernels:
        if kind in ("Softmax", "FusedMatMul", "MatMul", "Add") and "nchwc" not in node:
            slowest[node] += duration
    return name in {node for node, _ in slowest.most_common(3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--noise", choices=sorted(NOISES), default="office")
    parser.add_argument("--typeface", choices=sorted(TYPEFACES), default="sans")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-step", choices=("imports", "steps", "operators"), help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_step:
        profile_step(args.profile_step, args.file)
        return
    path = scanned_report(NOISES[args.noise], args.typeface)
    if args.profile:
        profile(path)
        return
    _print_load()
    runs = [run_check(path) for _ in range(args.runs)]
    for cpu, wall, rss, _ in runs:
        print(f"CPU {cpu:.2f} s  wall {wall:.2f} s  peak RSS {rss:.0f} MB")
    print(f"median CPU {statistics.median(r[0] for r in runs):.2f} s over {args.runs} runs of "
          f"`taskset -c 0 nianbao check` on {path.name}")
    right, doubtful, wrong = accuracy(path)
    print(f"cells right / doubtful / wrong: {right} / {doubtful} / {wrong} of {len(list(_cells()))}")


def _print_load() -> None:
    with open("/proc/loadavg", encoding="ascii") as load:
        print("load average:", " ".join(load.read().split()[:3]))


def _cells() -> list[object]:
    from nianbao.report.walk import iter_cells

    return list(iter_cells(expected(consistent_report(SEED))))


if __name__ == "__main__":
    main()

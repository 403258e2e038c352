"""Run the benchmarks and record what they print in ``benchmarks/results.md``.

    python benchmarks/_record.py                 # every benchmarks/*.py (make bench)
    python benchmarks/_record.py accuracy gpu    # some of them; the others' sections are kept

Each benchmark runs in its own process; its output, wall time, the date, the
machine and the versions that decide the numbers go to its own section of the
results file, which is rewritten (atomically) after each one, so an interrupted
run keeps what finished. Figures quoted in docs and docstrings point here.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.atomic import write_bytes_atomic  # noqa: E402 - after the path set-up, as a script

HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench` (`python benchmarks/_record.py [name ...]`); one section per benchmark, "
    "newest run of each. Times are wall-clock seconds on the machine named in the section; compare "
    "ratios within one section, not absolute times across machines.\n"
)
_SECTION = re.compile(r"^## (\S+)\n", re.M)


def machine() -> str:
    """Cores, the accelerator if any, and the versions that decide the numbers."""
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    except ImportError:  # pragma: no cover - torch is a dependency
        gpu = "torch missing"
    pkgs = ", ".join(f"{p} {version(p)}" for p in ("numpy", "pandas", "torch", "arch", "vectorbt"))
    return f"{platform.machine()}, {os.cpu_count()} cores, {gpu}; Python {platform.python_version()}, {pkgs}"


def sections(text: str) -> dict[str, str]:
    """The sections of a results file, by benchmark name."""
    found = list(_SECTION.finditer(text))
    return {
        m.group(1): text[m.start() : found[i + 1].start() if i + 1 < len(found) else len(text)]
        for i, m in enumerate(found)
    }


def run(name: str, root: Path = ROOT) -> str:
    """Run one benchmark (``root/benchmarks/<name>.py``); its section of the results file."""
    script = root / "benchmarks" / f"{name}.py"
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    status = "" if proc.returncode == 0 else f" - FAILED (exit {proc.returncode})"
    out = proc.stdout.rstrip() + ("\n" + proc.stderr.rstrip() if proc.returncode else "")
    return (
        f"## {name}\n\n"
        f"`python benchmarks/{name}.py`, {time.strftime('%Y-%m-%d %H:%M %Z')}, {wall:.0f} s{status}  \n"
        f"{machine()}\n\n```text\n{out}\n```\n\n"
    )


def main(argv: list[str], root: Path = ROOT) -> int:
    """Run the named benchmarks (all by default) and update ``root/benchmarks/results.md``."""
    results = root / "benchmarks" / "results.md"
    names = argv or sorted(p.stem for p in (root / "benchmarks").glob("*.py") if not p.stem.startswith("_"))
    unknown = [n for n in names if not (root / "benchmarks" / f"{n}.py").exists()]
    if unknown:
        print(f"no benchmark named {', '.join(unknown)}; choose from the files in benchmarks/.", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        section = run(name, root)
        print(section, flush=True)
        if "FAILED" in section.splitlines()[2]:
            failed.append(name)
        kept = sections(results.read_text(encoding="utf-8")) if results.exists() else {}
        kept[name] = section
        write_bytes_atomic(results, (HEADER + "\n" + "".join(kept[k] for k in sorted(kept))).encode("utf-8"))
    print(f"results in {results}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

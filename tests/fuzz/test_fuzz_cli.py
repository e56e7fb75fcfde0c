"""Property: no input and no option makes the command line crash, hang or exhaust memory.

Generated malformed files of every format (``tests/fuzz/generators.py``) go through the
real CLI entry (``detente.cli.cli`` with click's runner): ``validate``, then for the files
that validate ``convert`` and ``forecast`` with generated model options. Each run must end
with exit 0, or exit 2 and a located message; never exit 1 ("internal error"), never a
traceback. Each input runs under a CPU-time alarm and an address-space limit, so a hang
or a memory blow-up fails the test instead of stalling the suite.

The default run is modest; ``DETENTE_FUZZ_EXAMPLES=10000 make test-fuzz`` runs more
(``docs/performance.md`` records a 10,000-input run).
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.cli import cli
from tests.conftest import ASSETS
from tests.fuzz.generators import FuzzInput, fuzz_inputs, model_options, write

EXAMPLES = int(os.environ.get("DETENTE_FUZZ_EXAMPLES", "200"))
SECONDS_PER_INPUT = 30  # CPU seconds; the slowest input seen takes a few (deep brackets)
MEMORY_HEADROOM = 2 * 1024**3  # address space an input may add to the process

# A located message: `FILE:LINE[:COL]: error[code]`, `FILE: error[code]` or an option
# (`--param smp.max_turns: error[...]`), or click's own usage error naming the option.
LOCATED = re.compile(r"^(\S.*?): (error|warning)\[[a-z0-9-]+\]:|^Error: ", re.MULTILINE)


class Hang(Exception):
    """An input ran past its time limit."""


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - Linux has /proc


@contextmanager
def guarded(seconds: int = SECONDS_PER_INPUT) -> Iterator[None]:
    """Run a block under a CPU-time alarm and an address-space limit.

    The alarm counts the process's CPU time (``ITIMER_PROF``), not the wall clock: on a
    machine shared with other jobs a bounded computation can take minutes of wall clock,
    while a hang burns CPU without end either way.
    """

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no answer after {seconds} s of CPU time")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _vm_size() + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    old = signal.signal(signal.SIGPROF, on_alarm)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run(args: list[str]) -> Result:
    """Invoke the CLI under the guard; a hang or MemoryError fails with the arguments."""
    with guarded():
        return CliRunner().invoke(cli, args, catch_exceptions=True)


def check(result: Result, args: list[str], item: FuzzInput) -> None:
    """Exit 0, or exit 2 with a located message; nothing else."""
    out = result.output
    where = (
        f"detente {' '.join(args)}\n--- input ({len(item.text)} chars) ---\n{item.text[:2000]!r}"
    )
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {out[-3000:]}\n{where}"
    assert "internal error" not in out and "Traceback" not in out, f"{out[-3000:]}\n{where}"
    assert not isinstance(result.exception, Hang | MemoryError), where
    if result.exit_code == 2 and _json_mode(args):
        # --format json: the one JSON error shape, each problem a coded diagnostic
        err = json.loads(result.stdout)["error"]
        located = err["diagnostics"] and all(d["code"] for d in err["diagnostics"])
        assert located or err["code"] == "usage-error", f"unlocated JSON error:\n{out}\n{where}"
    elif result.exit_code == 2:
        assert LOCATED.search(out), f"exit 2 without a located message:\n{out}\n{where}"


def _json_mode(args: list[str]) -> bool:
    return any(a == "--format" and b == "json" for a, b in zip(args, args[1:], strict=False))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(item=fuzz_inputs(), options=model_options(), to=st.sampled_from(["yaml", "csv", "json"]))
def test_malformed_inputs_never_crash_hang_or_exhaust_memory(
    item: FuzzInput, options: list[str], to: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(write(Path(tmp), item))
        source = ["--from", item.fmt] if item.fmt else []
        if item.fmt == "deu3":
            source += ["--case", "x"]  # unknown id: exit 2 with a message, or pick below
        args = ["validate", path, *(["--from", item.fmt] if item.fmt else [])]
        result = run(args)
        check(result, args, item)
        if result.exit_code != 0:
            return
        if item.fmt == "deu3":
            return  # several cases per file; validate covers the reader
        args = ["convert", path, "--to", to, *source]
        check(run(args), args, item)
        args = ["forecast", path, *source, *options, "--format", "json"]
        check(run(args), args, item)


def test_the_guard_catches_a_hang_and_a_memory_blow_up() -> None:
    """The guard is real: an endless loop and a huge allocation are both stopped."""
    with pytest.raises(Hang), guarded(seconds=1):
        while True:
            pass
    with pytest.raises(MemoryError), guarded():
        bytearray(4 * MEMORY_HEADROOM)


def test_aliases_that_repeat_a_value_are_accepted(tmp_path: Path) -> None:
    """Only bombs are refused: an anchored source quote reused by alias validates."""
    text = (ASSETS / "case" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("title: A minimal two-actor case", "title: &t A minimal case")
    text = text.replace("question: How far?", "question: *t")
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_dev_zero_and_an_alias_bomb_in_a_real_process() -> None:
    """Run as a user would: a separate process with 3 GiB of address space, 120 s."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, resource.RLIM_INFINITY))

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    with tempfile.TemporaryDirectory() as tmp:
        bomb_file = Path(tmp) / "bomb.yaml"
        bomb_file.write_text(bomb)
        for target, code in (("/dev/zero", "too-large"), (str(bomb_file), "alias-bomb")):
            done = subprocess.run(
                [str(Path(sys.executable).parent / "detente"), "validate", target],
                capture_output=True,
                text=True,
                timeout=120,
                preexec_fn=limit,
                check=False,
            )
            assert done.returncode == 2, done.stderr
            assert f"error[{code}]" in done.stdout + done.stderr

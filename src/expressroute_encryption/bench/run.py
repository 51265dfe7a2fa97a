"""`make bench`: how fast the offline preview and the policy check are, from one port to a
global estate, as ratios to the cost of merely importing the SDKs.

    expressroute-encryption bench [--runs 5] [--no-scaling] [--json FILE] [--check]

Every case is a whole process (interpreter start, imports, work, exit), timed from
spawn to exit, with its peak resident memory from ``os.wait4``. The cases run in
rounds (one run of each case per round, after one warm-up round), so that whatever
else the machine is doing falls on all of them alike; each figure is the median over
the rounds. Ratios divide by the floor's median measured in the same invocation.

Cases and targets (docs/performance.md has the figures and the method):

    floor         python: import pulumi, pulumi_random and the azure-native modules the program uses
    config error  offline preview of a stack with an invalid config, to its exit 2     <= 0.3 x floor
    small         offline preview of Pulumi.dev.yaml                                   <= 1.6 x floor
    large         offline preview of 20 ports x 10 circuits (private + Microsoft       <= 3 x floor,
                  peering) plus the VPN, monitoring and locks on                       peak RSS < 300 MB
    policy        offline policy check of a stack export of about 5,000 resources      <= 2 x floor
    5,000         offline preview (with --export) of a 56-port estate: the export      peak RSS < 500 MB
                  the policy case checks; one run, before the timed rounds

The 5,000-resource export is the offline preview's own ``--export`` of a 39-port estate,
made once per invocation before the timed rounds (its single run is shown as the last
scaling point). Scaling: previews of 5 and 10 ports (same rounds) next to the large one,
with the cost per resource above the floor and between sizes: flat means linear.

Exit status: 0, or 1 when a case exits with the wrong code (or, with ``--check``, when a
target is missed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.output_files import write_atomically
from expressroute_encryption.bench.generate import PROJECT_DIR, estate_config, invalid_config, project_dir

PYTHON = sys.executable
# The command under test, run as a user runs it (`expressroute-encryption ...`).
CLI = [PYTHON, "-m", "expressroute_encryption.cli"]
# 39 ports x 129 resources (monitoring and locks on) + 21 shared = 5,052 resources in the export.
LARGE_PORTS, EXPORT_PORTS, SCALING_PORTS = 20, 39, (5, 10)
LARGE_TARGET = 3  # x floor
CONFIG_ERROR_TARGET = 0.3  # x floor: the config is checked before the SDK loads (offline/stack_program.py)
MEMORY_LIMIT_MB = {"large": 300, "5,000": 500}  # peak RSS
LINEAR_TOLERANCE = 1.5  # marginal cost per resource may differ by this factor between sizes

# The floor: what any run of the program pays before doing anything. azure-native's
# modules load lazily, on first attribute access, so one class of each is touched: the
# floor pays for the same module loads as the program does, every module it registers
# resources from (monitor and operationalinsights since monitoring came in).
FLOOR = """
import pulumi
import pulumi_random
from pulumi_azure_native import authorization, keyvault, managedidentity, monitor, network, operationalinsights, resources

authorization.RoleAssignment, keyvault.Vault, managedidentity.UserAssignedIdentity, monitor.MetricAlert
network.ExpressRoutePort, operationalinsights.Workspace, resources.ResourceGroup, pulumi_random.RandomBytes
"""


@dataclass
class Sample:
    wall: float  # seconds, spawn to exit
    cpu: float  # seconds, user + system
    peak_mb: float  # peak resident set size
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class ScalePoint:
    ports: int
    resources: int
    wall: float
    peak_mb: float
    single_run: bool = False  # the export's setup run: one run, and it also writes the export


@dataclass
class Case:
    key: str
    what: str
    argv: list[str]
    expect_exit: int
    target: float | None = None  # max ratio to the floor
    count: Callable[[str], int] | None = None  # resources, from the process's stdout
    samples: list[Sample] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return statistics.median(s.peak_mb for s in self.samples)

    @property
    def resources(self) -> int | None:
        return self.count(self.samples[-1].stdout) if self.count and self.samples else None


def measure(argv: list[str], cwd: Path) -> Sample:
    """Run one process to its end: wall time from spawn to exit, peak RSS (ru_maxrss, KB
    on Linux) from ``os.wait4``, which reports that child's own usage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C or SIGTERM (interrupts.py): no timed process outlives the bench
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
                      out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def json_resources(stdout: str) -> int:
    """The resource count of a preview's or the checker's ``--json`` output."""
    return json.loads(stdout)["resources"]


def preview(stack: str, project: Path | None = None, *extra: str) -> list[str]:
    argv = [*CLI, "preview", "--stack", stack, "--json", *extra]
    return argv + (["--project-dir", str(project)] if project else [])


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {name: metadata.version(name) for name in ("pulumi", "pulumi-azure-native", "pulumi-random", "pulumi-policy")}
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def run_rounds(cases: list[Case], runs: int, warmup: int) -> None:
    for round_ in range(warmup + runs):
        for case in cases:
            sample = measure(case.argv, PROJECT_DIR)
            if sample.exit_code != case.expect_exit:
                raise SystemExit(
                    f"bench: {case.key}: exit {sample.exit_code}, expected {case.expect_exit}\n"
                    f"  {' '.join(case.argv)}\n{sample.stderr[-2000:]}"
                )
            if round_ >= warmup:
                case.samples.append(sample)
        print(f"  round {round_ + 1}/{warmup + runs}{' (warm-up)' if round_ < warmup else ''} done", file=sys.stderr)


def report(cases: dict[str, Case], scaling: list[ScalePoint], runs: int, info: dict,
           export: ScalePoint) -> tuple[str, list[str]]:
    """The table, and the targets that were missed."""
    floor = cases["floor"].wall
    missed = []
    lines = [
        f"Offline preview and policy check: median of {runs} runs, whole processes, ratios to the floor's wall time",
        f"machine: {info['cpus']} x {info['cpu']}; Python {info['python']}; pulumi {info['pulumi']}, "
        f"pulumi-azure-native {info['pulumi-azure-native']}",
        "",
        f"{'case':<13} {'resources':>9} {'wall s':>7} {'x floor':>8} {'target':>7} {'':>4} {'cpu s':>6} {'peak MB':>8}  what",
    ]
    for case in cases.values():
        if case.key.startswith("scaling"):
            continue
        ratio = case.wall / floor
        verdict, target = "", ""
        if case.target is not None:
            target = f"<= {case.target:g}"
            verdict = "ok" if ratio <= case.target else "MISS"
            if verdict == "MISS":
                missed.append(f"{case.key}: {ratio:.2f} x floor > {case.target:g}")
        resources = case.resources
        lines.append(
            f"{case.key:<13} {'-' if resources is None else resources:>9} {case.wall:>7.2f} {ratio:>8.2f} "
            f"{target:>7} {verdict:>4} {case.cpu:>6.2f} {case.peak_mb:>8.1f}  {case.what}"
        )
    lines.append(f"{'5,000':<13} {export.resources:>9} {export.wall:>7.2f} {'-':>8} {'':>7} {'':>4} "
                 f"{'':>6} {export.peak_mb:>8.1f}  preview of {export.ports} ports with --export (one run, also "
                 "writes the export)")
    lines.append("")
    for key, peak, what in (("large", cases["large"].peak_mb, "the large preview"),
                            ("5,000", export.peak_mb, f"the {export.resources}-resource preview")):
        limit = MEMORY_LIMIT_MB[key]
        ok = peak < limit
        if not ok:
            missed.append(f"{key}: peak memory {peak:.0f} MB >= {limit} MB")
        lines.append(f"peak memory of {what}: {peak:.0f} MB (target < {limit} MB) {'ok' if ok else 'MISS'}")

    if scaling:
        lines += [
            "",
            "Scaling: offline preview of N ports x 10 circuits (private + Microsoft peering) + the VPN",
            f"{'ports':>5} {'resources':>9} {'wall s':>7} {'peak MB':>8} {'ms/resource above floor':>24} {'ms/resource from previous size':>31}",
        ]
        marginals = []
        previous = None
        for point in scaling:
            above = (point.wall - floor) / point.resources * 1000
            step = ""
            if previous:
                marginal = (point.wall - previous.wall) / (point.resources - previous.resources) * 1000
                step = f"{marginal:.2f}"
                if not point.single_run:
                    marginals.append(marginal)
            note = "  (one run, which also writes the export for the policy case)" if point.single_run else ""
            lines.append(f"{point.ports:>5} {point.resources:>9} {point.wall:>7.2f} {point.peak_mb:>8.1f} "
                         f"{above:>24.2f} {step:>31}{note}")
            previous = point
        if marginals:
            spread = max(marginals) / min(marginals) if min(marginals) > 0 else float("inf")
            linear = spread <= LINEAR_TOLERANCE
            if not linear:
                missed.append(f"scaling: marginal cost per resource varies {spread:.2f}x between sizes")
            lines.append(
                f"linear in resources ({', '.join(str(p.ports) for p in scaling if not p.single_run)} ports): marginal cost "
                f"{min(marginals):.2f}-{max(marginals):.2f} ms/resource (spread {spread:.2f}x, tolerance {LINEAR_TOLERANCE}x) "
                f"{'ok' if linear else 'MISS'}"
            )
    return "\n".join(lines), missed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bench`` subcommand's options."""
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)),
                        help="timed rounds; each figure is the median (default 5, or $BENCH_RUNS)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 5- and 10-port previews")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``bench`` subcommand; returns its exit code."""
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    info = machine()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        root = Path(tmp)
        bad = project_dir(root / "bad", "bad", invalid_config())
        estates = root / "estates"
        for ports in (*SCALING_PORTS, LARGE_PORTS, EXPORT_PORTS):
            project_dir(estates, f"ports{ports}", estate_config(ports))

        print(f"bench: exporting a {EXPORT_PORTS}-port estate for the policy case...", file=sys.stderr)
        export = root / "export.json"
        setup = measure(preview(f"ports{EXPORT_PORTS}", estates, "--export", str(export)), PROJECT_DIR)
        if setup.exit_code != 0:
            raise SystemExit(f"bench: the {EXPORT_PORTS}-port preview failed (exit {setup.exit_code}):\n{setup.stderr[-2000:]}")

        cases = [
            Case("floor", "python: import pulumi, pulumi_random, the azure-native modules used", [PYTHON, "-c", FLOOR], 0),
            Case("config error", "preview of an invalid config, to its exit 2", preview("bad", bad), 2, CONFIG_ERROR_TARGET,
                 json_resources),
            Case("small", "preview of Pulumi.dev.yaml", preview("dev"), 0, 1.6, json_resources),
            Case("large", f"preview of {LARGE_PORTS} ports x 10 circuits + VPN", preview(f"ports{LARGE_PORTS}", estates), 0,
                 LARGE_TARGET, json_resources),
            Case("policy", "policy check of a stack export", [*CLI, "check-policy", str(export), "--json"],
                 0, 2, json_resources),
        ]
        if not args.no_scaling:
            cases += [Case(f"scaling {p}", f"preview of {p} ports", preview(f"ports{p}", estates), 0, None, json_resources)
                      for p in SCALING_PORTS]
        print(f"bench: {args.warmup} warm-up + {args.runs} timed rounds of {len(cases)} processes...", file=sys.stderr)
        run_rounds(cases, args.runs, args.warmup)

    by_key = {case.key: case for case in cases}
    export = ScalePoint(EXPORT_PORTS, json_resources(setup.stdout), setup.wall, setup.peak_mb, single_run=True)
    scaling: list[ScalePoint] = []
    if not args.no_scaling:
        sized = [(ports, by_key[f"scaling {ports}"]) for ports in SCALING_PORTS] + [(LARGE_PORTS, by_key["large"])]
        scaling = [ScalePoint(ports, case.resources, case.wall, case.peak_mb) for ports, case in sized] + [export]
    table, missed = report(by_key, scaling, args.runs, info, export)
    print(table)
    if missed:
        print("\ntargets missed:\n  " + "\n  ".join(missed))
    if args.json:
        write_atomically(Path(args.json), json.dumps({
            "machine": info,
            "runs": args.runs,
            "cases": {c.key: {"wall": [s.wall for s in c.samples], "cpu": [s.cpu for s in c.samples],
                              "peakMb": [s.peak_mb for s in c.samples],
                              "medianWall": c.wall, "medianPeakMb": c.peak_mb, "ratio": c.wall / by_key["floor"].wall,
                              "target": c.target, "resources": c.resources} for c in cases},
            "exportSetup": {"ports": EXPORT_PORTS, "wall": setup.wall, "peakMb": setup.peak_mb, "resources": json_resources(setup.stdout)},
            "missed": missed,
        }, indent=2), overwrite=True)
    return ExitCode.REFUSED if (missed and args.check) else ExitCode.OK

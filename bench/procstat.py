"""What a server process tree costs, read from /proc (Linux only).

CPU is utime + stime of the process and every live descendant (uvicorn --workers N runs
the workers as children of a supervisor), so a phase's server CPU is the difference of
two readings. RSS is summed the same way.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may hold spaces: split after its end.
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """`root` and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds spent so far by the process tree under `root`."""
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            # Fields 14 and 15 of stat(5), counted from 1; we dropped the first two.
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def rss_bytes(root: int) -> int:
    """Resident set size of the process tree under `root`."""
    total = 0
    for pid in process_tree(root):
        try:
            resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += resident * _PAGE
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds all cores spent busy, and the part of it spent in softirq.

    Loopback TCP is processed in softirq, which the kernel may not charge to the sending
    process; the rest of "busy" beyond our two processes is other tenants of the machine.
    """
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    # guest time is already counted in user time: only the first eight fields add up.
    return (sum(fields[:8]) - idle) / _TICKS, fields[6] / _TICKS


def raise_fd_limit(wanted: int) -> int:
    """Raise the open-file limit towards `wanted` (children inherit it): the soft limit up
    to the hard one, and the hard one too where the process may (root, CAP_SYS_RESOURCE;
    the kernel caps it at fs.nr_open)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        for ceiling in (wanted, 1 << 20, 65536):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, ceiling), ceiling))
            except (ValueError, OSError):
                continue
            hard = ceiling
            break
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"

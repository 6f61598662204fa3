"""The peak resident memory of this process, for the benchmarks that measure a child's own.

Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries a process's high-water mark across
``fork`` and ``exec`` (the kernel keeps the larger of the old and new address space's), so a
child started by a bench that had just generated a million transactions reported the bench's
own 2,099 MiB, identically, for every run. ``VmHWM`` in /proc/self/status is the peak of this
process's own address space since its ``exec``."""

import resource
from pathlib import Path

STATUS = Path("/proc/self/status")


def peak_rss_mib() -> float:
    """This process's peak resident set since it started, in MiB."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

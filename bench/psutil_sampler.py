#!/usr/bin/python3
"""The approach of the older Python monitor, as a peer for bench/monitor_bench.sh: start a
command, then every INTERVAL seconds walk its process tree with psutil and append CPU,
memory and I/O figures to a CSV, until it exits.

    psutil_sampler.py INTERVAL OUT.csv COMMAND [ARG...]"""
import csv
import subprocess
import sys
import time

import psutil


def sample(root):
    procs = [root] + root.children(recursive=True)
    cpu = rss = rb = wb = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system
            rss += p.memory_info().rss
            io = p.io_counters()
            rb += io.read_bytes
            wb += io.write_bytes
        except psutil.Error:
            pass
    return [time.time(), len(procs), cpu, rss, rb, wb, psutil.cpu_percent(),
            psutil.virtual_memory().available]


def main():
    interval, out, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
    child = subprocess.Popen(cmd)
    root = psutil.Process(child.pid)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "processes", "cpu_seconds", "rss_bytes", "read_bytes",
                    "write_bytes", "host_cpu_percent", "host_available_bytes"])
        while child.poll() is None:
            w.writerow(sample(root))
            f.flush()
            time.sleep(interval)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The workloads of bench/process_pool_bench.cpp, run with Python's ProcessPoolExecutor.

Prints the figures of each workload and with --json FILE also writes them, under the same names
and counters as the C++ benchmark's JSON, for bench/process_bench_report.py. Python needs far
longer per call than C++, so the batch workloads use fewer calls; every figure is per call (or
per item), so they compare all the same.

    idle_round_trip/python      submit(echo, 64 bytes).result() on a warm 1-worker pool, after a pause
    back_to_back_round_trip/python  the same without pauses
    submit_result/python        submit N trivial calls to a warm 2-worker pool, then every result
    map_chunksize_100/python    map() over N inputs with chunksize 100, every result (2 workers)
    start_up/python/fork        a new 2-worker pool (fork), until each worker has answered a call
    start_up/python/spawn       the same with the spawn start method
"""

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from measure import add_one, latency_summary, run_workloads, submit_then_collect, us_per_item

ROUND_TRIPS = 2_000
IDLE_PAUSE_S = 500e-6  # far longer than anything spins before it sleeps
SUBMIT_RESULT_CALLS = 5_000  # C++: 20,000
MAP_INPUTS = 20_000
WARM_UP_CALLS = 500
START_UPS = 10  # C++: 30
MESSAGE = b"m" * 64


def echo(message):
    return message


def pid_of_worker(_=None):
    return os.getpid()


def round_trip(pause_s):
    with ProcessPoolExecutor(1) as pool:
        for _ in range(100):
            pool.submit(echo, MESSAGE).result()
        samples = []
        for _ in range(ROUND_TRIPS):
            if pause_s:
                time.sleep(pause_s)  # not timed: lets every thread and process involved fall asleep
            start = time.perf_counter_ns()
            pool.submit(echo, MESSAGE).result()
            samples.append(time.perf_counter_ns() - start)
        return latency_summary(samples)


def submit_result():
    with ProcessPoolExecutor(2) as pool:
        submit_then_collect(pool, WARM_UP_CALLS)
        return us_per_item(lambda: submit_then_collect(pool, SUBMIT_RESULT_CALLS), SUBMIT_RESULT_CALLS)


def map_chunksize_100():
    with ProcessPoolExecutor(2) as pool:
        submit_then_collect(pool, WARM_UP_CALLS)
        inputs = range(MAP_INPUTS)
        return us_per_item(lambda: sum(pool.map(add_one, inputs, chunksize=100)), MAP_INPUTS)


def start_up(method):
    """From creating the pool until both workers have answered a call (shutdown not timed)."""
    context = multiprocessing.get_context(method)
    samples = []
    for _ in range(START_UPS):
        start = time.perf_counter_ns()
        pool = ProcessPoolExecutor(2, mp_context=context)
        pids = set()
        while len(pids) < 2:
            futures = [pool.submit(pid_of_worker), pool.submit(pid_of_worker)]
            pids.update(f.result() for f in futures)
        samples.append(time.perf_counter_ns() - start)
        pool.shutdown()
    return latency_summary(samples)


WORKLOADS = {
    "idle_round_trip/python": lambda: round_trip(IDLE_PAUSE_S),
    "back_to_back_round_trip/python": lambda: round_trip(0),
    "submit_result/python": submit_result,
    "map_chunksize_100/python": map_chunksize_100,
    "start_up/python/fork": lambda: start_up("fork"),
    "start_up/python/spawn": lambda: start_up("spawn"),
}


def main():
    return run_workloads(__doc__.splitlines()[0], "ProcessPoolExecutor", WORKLOADS, 32)


if __name__ == "__main__":
    sys.exit(main())

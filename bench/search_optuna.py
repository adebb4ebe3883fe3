#!/usr/bin/python3
"""Optuna's TPE (Debian python3-optuna 3.1) on the functions of bench/search_bench.c, with
the same budgets, targets, seeds and CSV lines, so bench/search_bench.sh can put the two
side by side. q = 4 asks four trials at a time with TPE's constant liar.
usage: search_optuna.py SEEDS > optuna.csv"""
import math
import sys
import time

import warnings

import optuna

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x1, x2):
    a = x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6
    return a * a + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    s = 0.0
    for i in range(4):
        e = sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))
        s += ALPHA[i] * math.exp(-e)
    return -s


SCHED = {"static": 0.35, "dynamic": 0.0, "guided": 0.6}
BLOCKS = [8, 16, 32, 64, 128, 256, 512]


def mixed(t, block, sched, ratio):
    lt = math.log2(t / 12.0)
    b = BLOCKS.index(block) - 3
    return 1.0 + 0.15 * lt * lt + 0.08 * b * b + SCHED[sched] + 2 * (ratio - 0.3) ** 2


def sample(fn, trial):
    if fn in ("branin", "noisy_branin"):
        return branin(trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15))
    if fn == "hartmann6":
        return hartmann6([trial.suggest_float("x%d" % d, 0, 1) for d in range(6)])
    return mixed(trial.suggest_int("threads", 1, 64, log=True),
                 trial.suggest_categorical("block", BLOCKS),
                 trial.suggest_categorical("schedule", list(SCHED)),
                 trial.suggest_float("ratio", 0, 1))


# name: optimum, target, budget, noise sd (as in search_bench.c)
FUNCTIONS = {
    "branin": (0.397887, 0.397887 + 1e-3, 100, 0.0),
    "hartmann6": (-3.32237, -3.27, 150, 0.0),
    "mixed": (1.0, 1.0 + 1e-3, 100, 0.0),
    "noisy_branin": (0.397887, 0.397887 + 0.05, 100, 0.5),
}


def replay(fn, q, seed):
    import random
    optimum, target, budget, noise = FUNCTIONS[fn]
    rng = random.Random(seed)
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=q > 1)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    best_obs, best_true, regret50, reached, evals = math.inf, math.inf, math.nan, 0, 0
    t0 = time.process_time()
    while evals < budget and (not reached or evals < 50):
        trials = [study.ask() for _ in range(min(q, budget - evals))]
        values = []
        for t in trials:
            truth = sample(fn, t)
            values.append((truth, truth + noise * rng.gauss(0, 1)))
        for t, (truth, v) in zip(trials, values):
            study.tell(t, v)
            evals += 1
            if v < best_obs:
                best_obs, best_true = v, truth
            if not reached and best_true <= target:
                reached = evals
            if evals == 50:
                regret50 = best_true - optimum
    print("%s,optuna_tpe,%d,%d,%d,%.6g,%.6g,%.3f" % (fn, q, seed, reached, regret50, best_true,
                                                    time.process_time() - t0), flush=True)


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    only = sys.argv[2] if len(sys.argv) > 2 else None
    print("function,method,q,seed,evals_to_target,regret_at_50,best_true,seconds")
    for fn in FUNCTIONS:
        if only and fn != only:
            continue
        for q in (1, 4):
            for seed in range(1, seeds + 1):
                replay(fn, q, seed)


if __name__ == "__main__":
    main()

"""numpy peer of the categorical family's replace loop (bench/categorical.ts): per generation,
counts by Generator.multinomial, the fit c/n, and the same five metrics (support, entropy,
Gini-Simpson, coverage, total variation). Prints JSON with the generation steps per second.

usage: categorical_peer.py K n T E dist seed
"""
import json
import sys
import time

import numpy as np


def start(K, dist):
    if dist == "uniform":
        return np.full(K, 1.0 / K)
    w = np.arange(1, K + 1, dtype=float) ** -float(dist.split(":")[1])
    return w / w.sum()


def main():
    K, n, T, E, dist, seed = sys.argv[1:]
    K, n, T, E, seed = int(K), int(n), int(T), int(E), int(seed)
    rng = np.random.default_rng(seed)
    p0 = start(K, dist)
    acc = 0.0
    t0 = time.perf_counter()
    for _ in range(E):
        p = p0
        for _ in range(T):
            c = rng.multinomial(n, p)
            p = c / n
            live = p > 0
            f = p[live]
            support = live.sum()
            entropy = -(f * np.log2(f)).sum()
            gs = 1 - (f * f).sum()
            cov = p0[live].sum()
            tv = 0.5 * np.abs(p - p0).sum()
            acc += support + entropy + gs + cov + tv
    sec = time.perf_counter() - t0
    print(json.dumps({"stepsPerSecond": E * T / sec, "seconds": sec, "check": acc / (E * T), "numpy": np.__version__}))


if __name__ == "__main__":
    main()

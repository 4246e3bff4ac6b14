"""The numpy peer of collapse's default workload, so the benchmark compares against numpy at its best and as the article wrote it."""
import argparse
import json
import sys
import time

import numpy as np

N_SAMPLES = 1000
GENERATIONS = 1000
# Tuned over 8..512 on a 2-core AMD EPYC with numpy 2.4 (einsum variant): 32 and 64 tied at
# 81-88M normals/s, within 3% of standard_normal alone; 8-16 lose to per-call overhead and 512
# halves the rate once the two (block, n) buffers leave L2. 32 keeps the smaller footprint.
# np.std(axis=1) instead of centre + einsum measured about 20% slower at every block size.
DEFAULT_BLOCK = 32


def vectorised(experiments: int, seed: int, block: int) -> np.ndarray:
    """Runs experiments in blocks, one (block, n) matrix of draws per generation."""
    rng = np.random.default_rng(seed)
    final_sd = np.empty(experiments)
    buf = np.empty((block, N_SAMPLES))
    dev = np.empty((block, N_SAMPLES))
    for start in range(0, experiments, block):
        b = min(block, experiments - start)
        z = buf[:b]
        d = dev[:b]
        m = np.zeros(b)
        s = np.ones(b)
        for _ in range(GENERATIONS):
            # Writing into preallocated buffers avoids allocating n*b doubles twice per generation.
            rng.standard_normal(out=z)
            zbar = z.mean(axis=1)
            # Two passes (centre, then square) as np.std does, minus its temporaries.
            np.subtract(z, zbar[:, None], out=d)
            ss = np.einsum("ij,ij->i", d, d)
            m += s * zbar
            s *= np.sqrt(ss / N_SAMPLES)
        final_sd[start:start + b] = s
    return final_sd


def literal(experiments: int, seed: int) -> np.ndarray:
    """The article's loop, one experiment and one generation at a time."""
    rng = np.random.default_rng(seed)
    final_sd = np.empty(experiments)
    for e in range(experiments):
        m, s = 0.0, 1.0
        for _ in range(GENERATIONS):
            x = rng.normal(m, s, N_SAMPLES)
            m = x.mean()
            s = x.std()
        final_sd[e] = s
    return final_sd


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--experiments", type=int, default=1000)
    p.add_argument("--mode", choices=["vectorised", "literal"], default="vectorised")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--block", type=int, default=DEFAULT_BLOCK)
    a = p.parse_args()
    if a.experiments < 1 or a.block < 1:
        sys.exit("--experiments and --block must be >= 1")
    t0 = time.perf_counter()
    if a.mode == "vectorised":
        sd = vectorised(a.experiments, a.seed, a.block)
    else:
        sd = literal(a.experiments, a.seed)
    wall = time.perf_counter() - t0
    draws = a.experiments * GENERATIONS * N_SAMPLES
    print(json.dumps({
        "impl": f"numpy-{a.mode}",
        "numpy": np.__version__,
        "experiments": a.experiments,
        "block": a.block if a.mode == "vectorised" else None,
        "wallSeconds": wall,
        "normalsPerSecond": draws / wall,
        "meanFinalSd": float(sd.mean()),
    }))


if __name__ == "__main__":
    main()

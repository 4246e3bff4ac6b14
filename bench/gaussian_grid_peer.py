"""The Collapse-or-Thrive Gaussian grid (Kazdan, Schaeffer et al., ICML 2025) written the way their code does it, timed per cell, printing one JSON line per cell and a total.

Their loop, per (setting, d, n, seed): np.random.multivariate_normal for the original data and for
each generation's new data (numpy's legacy SVD-based sampler), np.cov(bias=True) and np.mean for the
fit, the whole pool (accumulate) or np.random.choice(..., replace=False) of n (accumulate-subsample)
or the last n (replace). A cell whose loop raises (multivariate_normal's SVD failing to converge or
a LinAlgError once the fit degenerates) is recorded with its error, not fatal; the sampler's
"covariance is not symmetric positive-semidefinite" warnings, on which their loop carries on, are counted. Time is linear in the number of experiments (independent loops), so a
run with --experiments E < 100 is scaled to 100 in `seconds_per_100`.

`--throughput` instead times the replace loop at one (d, n) written BLAS-style (z @ L.T with L the
Cholesky factor), the fastest plain numpy form, as generation steps per second.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np


def experiment(setting, d, n, T):
    """One chain of T fits; returns the final squared error of the mean and trace ratio."""
    init_mean = np.zeros(d)
    init_cov = np.eye(d)
    data = np.random.multivariate_normal(mean=init_mean, cov=init_cov, size=n)
    err = trace = float('nan')
    for _ in range(T):
        fit_rows = data if setting != 'accumulate-subsample' else data[np.random.choice(data.shape[0], size=n, replace=False)]
        mu = np.mean(fit_rows, axis=0)
        cov = np.cov(fit_rows, rowvar=False, bias=True).reshape(d, d)
        err = float(np.sum(np.square(mu - init_mean)))
        trace = float(np.trace(cov) / d)
        new = np.random.multivariate_normal(mean=mu, cov=cov, size=n)
        data = new if setting == 'replace' else np.concatenate((data, new))
    return err, trace


def cell(setting, d, n, T, E, seed):
    np.random.seed(seed)
    start = time.perf_counter()
    cpu = time.process_time()
    row = {'regime': setting, 'dim': d, 'samples': n, 'generations': T, 'experiments': E}
    with warnings.catch_warnings(record=True) as caught:
        # the legacy sampler only warns on a non-PSD covariance and carries on, as their code does; counted
        warnings.simplefilter('always')
        try:
            finals = [experiment(setting, d, n, T) for _ in range(E)]
            row['ok'] = True
            row['meanFinalTraceRatio'] = float(np.mean([f[1] for f in finals]))
        except Exception as exc:  # noqa: BLE001 - every numpy failure mode is data here
            row['ok'] = False
            row['error'] = f'{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ""}'
    row['warnings'] = len(caught)
    if caught:
        row['firstWarning'] = str(caught[0].message).splitlines()[0]
    row['seconds'] = time.perf_counter() - start
    row['cpu_seconds'] = time.process_time() - cpu  # all of the process's threads (BLAS included)
    row['seconds_per_100'] = row['seconds'] * 100 / E
    return row


def throughput(d, n, T, E):
    """Replace-regime generation steps per second, BLAS-style sampling through the Cholesky factor."""
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for _ in range(E):
        mu = np.zeros(d)
        L = np.eye(d)
        for _ in range(T):
            x = mu + rng.standard_normal((n, d)) @ L.T
            mu = x.mean(axis=0)
            L = np.linalg.cholesky(np.cov(x, rowvar=False, bias=True))
    wall = time.perf_counter() - start
    return {'dim': d, 'samples': n, 'generations': T, 'experiments': E, 'seconds': wall, 'stepsPerSecond': E * T / wall}


def ints(s):
    return [int(x) for x in s.split(',')]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--dims', type=ints, default=[1, 3, 10, 31, 100])
    p.add_argument('--samples', type=ints, default=[10, 32, 100, 316, 1000])
    p.add_argument('--regimes', default='replace,accumulate,accumulate-subsample')
    p.add_argument('-t', '--generations', type=int, default=100)
    p.add_argument('-e', '--experiments', type=int, default=100)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--throughput', action='store_true', help='time the replace loop at --dims[0], --samples[0]')
    args = p.parse_args()
    if args.throughput:
        print(json.dumps(throughput(args.dims[0], args.samples[0], args.generations, args.experiments)), flush=True)
        return
    total = 0.0
    failed = []
    for setting in args.regimes.split(','):
        for d in args.dims:
            for n in args.samples:
                row = cell(setting, d, n, args.generations, args.experiments, args.seed)
                total += row['seconds']
                if not row['ok']:
                    failed.append(f'{setting} d={d} n={n}')
                print(json.dumps(row), flush=True)
    print(json.dumps({'total': True, 'seconds': total, 'seconds_per_100': total * 100 / args.experiments,
                      'failed': failed, 'numpy': np.__version__, 'loadavg': os.getloadavg()}), flush=True)


if __name__ == '__main__':
    sys.exit(main())

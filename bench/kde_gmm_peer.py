"""The numpy peers of collapse's kde and gmm families, written the obvious way (a KDE by
scipy.special.logsumexp, EM in numpy), under the replace regime, for bench/kdegmm.ts.

kde: `--data moons` (the law of sklearn's make_moons, noise 0.05), a fixed bandwidth h; each
generation draws n points by picking a training point and adding N(0, h²I), and at each recorded
generation computes nll (500 held-out true points, logsumexp) and spread (np.cov trace, ddof 0).
gmm: the original of `--components0 2` (two components of covariance 0.25·I at (±3, 0)); EM with
k-means++ seeding, tol 1e-3 on the mean log-likelihood, at most 100 iterations, reg_covar 1e-6;
at each recorded generation the L2 distance in closed form and the mean log-likelihood of 500
held-out original points.

Prints one JSON line: seconds, generation steps per second (E·T / seconds) and the final metrics.
"""
import argparse
import json
import time

import numpy as np
from scipy import special

LN2PI = np.log(2 * np.pi)


def moons(rng, m):
    outer = rng.random(m) < 0.5
    a = np.pi * rng.random(m)
    x = np.where(outer, np.cos(a), 1 - np.cos(a))
    y = np.where(outer, np.sin(a), 0.5 - np.sin(a))
    return np.stack([x, y], axis=1) + 0.05 * rng.standard_normal((m, 2))


def kde_nll(test, x, h):
    q = ((test[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    lp = special.logsumexp(-q / (2 * h * h), axis=1) - np.log(len(x)) - 0.5 * x.shape[1] * np.log(2 * np.pi * h * h)
    return -lp.mean()


def run_kde(args, rng):
    finals = {"nll": [], "spread": []}
    for _ in range(args.experiments):
        test = moons(rng, 500)
        x = moons(rng, args.samples)
        for g in range(1, args.generations + 1):
            if g > 1:
                idx = rng.integers(0, len(x), args.samples)
                x = x[idx] + args.bandwidth * rng.standard_normal((args.samples, 2))
            if g % args.every == 0 or g == args.generations:
                nll = kde_nll(test, x, args.bandwidth)
                spread = np.trace(np.cov(x.T, ddof=0))
        finals["nll"].append(float(nll))
        finals["spread"].append(float(spread))
    return finals


def original(k0):
    t = 2 * np.pi * np.arange(k0) / k0
    mu = 3 * np.stack([np.cos(t), np.sin(t)], axis=1)
    return np.full(k0, 1 / k0), mu, np.tile(0.25 * np.eye(2), (k0, 1, 1))


def sample_gmm(rng, w, mu, cov, m):
    comp = rng.choice(len(w), size=m, p=w / w.sum())
    L = np.linalg.cholesky(cov)
    z = rng.standard_normal((m, 2))
    return mu[comp] + np.einsum("nij,nj->ni", L[comp], z)


def log_comp(x, w, mu, cov):
    inv = np.linalg.inv(cov)
    d = x[:, None, :] - mu[None, :, :]
    q = np.einsum("nki,kij,nkj->nk", d, inv, d)
    return np.log(w)[None, :] - LN2PI - 0.5 * np.log(np.linalg.det(cov))[None, :] - 0.5 * q


def em(rng, x, k, tol=1e-3, max_iter=100, reg=1e-6):
    N = len(x)
    centres = [x[rng.integers(N)]]
    for _ in range(1, k):
        d2 = ((x[:, None, :] - np.array(centres)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        tot = d2.sum()
        centres.append(x[rng.choice(N, p=d2 / tot)] if tot > 0 else x[rng.integers(N)])
    mu = np.array(centres)
    cov = np.tile(np.cov(x.T, ddof=0) + reg * np.eye(2), (k, 1, 1))
    w = np.full(k, 1 / k)
    prev = -np.inf
    for _ in range(max_iter):
        lp = log_comp(x, w, mu, cov)
        ll = special.logsumexp(lp, axis=1)
        resp = np.exp(lp - ll[:, None])
        nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
        mu = resp.T @ x / nk[:, None]
        d = x[:, None, :] - mu[None, :, :]
        cov = np.einsum("nk,nki,nkj->kij", resp, d, d) / nk[:, None, None] + reg * np.eye(2)
        w = nk / nk.sum()
        lb = ll.mean()
        if abs(lb - prev) < tol:
            break
        prev = lb
    return w, mu, cov


def product_integral(p, q):
    (wa, ma, ca), (wb, mb, cb) = p, q
    s = ca[:, None] + cb[None, :]
    d = ma[:, None, :] - mb[None, :, :]
    quad = np.einsum("abi,abij,abj->ab", d, np.linalg.inv(s), d)
    dens = np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(s)))
    return float(wa @ dens @ wb)


def run_gmm(args, rng):
    q = original(args.components0)
    qq = product_integral(q, q)
    finals = {"l2": [], "loglik": []}
    for _ in range(args.experiments):
        test = sample_gmm(rng, *q, 500)
        x = sample_gmm(rng, *q, args.samples)
        for g in range(1, args.generations + 1):
            if g > 1:
                x = sample_gmm(rng, *fit, args.samples)
            fit = em(rng, x, args.components)
            if g % args.every == 0 or g == args.generations:
                l2 = np.sqrt(max(0.0, product_integral(fit, fit) - 2 * product_integral(fit, q) + qq))
                loglik = special.logsumexp(log_comp(test, *fit), axis=1).mean()
        finals["l2"].append(float(l2))
        finals["loglik"].append(float(loglik))
    return finals


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", choices=["kde", "gmm"], required=True)
    p.add_argument("-n", "--samples", type=int, default=200)
    p.add_argument("-t", "--generations", type=int, default=20)
    p.add_argument("-e", "--experiments", type=int, default=10)
    p.add_argument("--every", type=int, default=1)
    p.add_argument("--bandwidth", type=float, default=0.1)
    p.add_argument("--components", type=int, default=2)
    p.add_argument("--components0", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    finals = run_kde(args, rng) if args.model == "kde" else run_gmm(args, rng)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "stepsPerSecond": args.experiments * args.generations / seconds, "final": finals}))


if __name__ == "__main__":
    main()

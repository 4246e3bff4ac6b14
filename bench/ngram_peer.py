#!/usr/bin/env python3
"""numpy peer of the n-gram family's replace loop, for bench/ngram.ts: fit the k-gram MLE, generate
N tokens sentence by sentence with per-context sampling, refit, T − 1 times.

It is the strongest numpy form of the loop we know, not a naive one: a fit sorts the positions by
context (np.argsort, stable) so that each context's successors are contiguous (np.unique gives each
context's first index and count), and generation advances a batch of B sentences at once — every
active sentence draws its next token as tok[first[c] + floor(u·count[c])] in one vectorised step —
so Python's per-token overhead is paid once per batch step. Sentences are appended in batch order
until N tokens (the last cut), as the engine does sentence by sentence.

Input: a binary file of int32 training token ids (0 = </s>, each sentence ending in 0), written by
bench/ngram.ts. Usage: ngram_peer.py TOKENS.bin ORDER N T [B]  → JSON {seconds, cpu_seconds, tokens_per_second, tokens_per_cpu_second}.
"""
import json
import sys
import time

import numpy as np


def contexts(d, k, V):
    """Context key of every position (padded per sentence), and of the position after the end."""
    M = len(d)
    prev = np.concatenate(([0], d))  # prev[i] = token before position i (0 at the start)
    if k == 1:
        return np.zeros(M + 1, dtype=np.int64)
    if k == 2:
        return prev.astype(np.int64)
    prev2 = np.concatenate(([0, 0], d[:-1])) if M >= 1 else np.zeros(1, dtype=np.int32)
    a = np.where(prev == 0, 0, prev2[: M + 1]).astype(np.int64)
    return a * V + prev.astype(np.int64)


class Fit:
    def __init__(self, d, k, V):
        if k >= 2 and len(d) > 0 and d[-1] != 0:
            d = np.concatenate((d, [0])).astype(np.int32)
        keys = contexts(d, k, V)
        order = np.argsort(keys[:-1], kind="stable")
        self.tok = d[order]
        self.keys, self.first, self.count = np.unique(keys[:-1][order], return_index=True, return_counts=True)
        self.k, self.V = k, V
        self.start = self.index(np.array([0], dtype=np.int64))[0]

    def index(self, keys):
        return np.searchsorted(self.keys, keys)


def generate(fit, N, B, rng):
    out = []
    total = 0
    k, V = fit.k, fit.V
    while total < N:
        c = np.full(B, fit.start, dtype=np.int64)
        prev = np.zeros(B, dtype=np.int64)
        alive = np.ones(B, dtype=bool)
        steps = []
        while alive.any():
            idx = np.nonzero(alive)[0]
            cc = c[idx]
            j = fit.first[cc] + (rng.random(len(idx)) * fit.count[cc]).astype(np.int64)
            w = fit.tok[j]
            steps.append((idx, w))
            ended = w == 0
            if k == 1:
                pass
            elif k == 2:
                c[idx] = fit.index(w.astype(np.int64))
            else:
                key = np.where(ended, 0, prev[idx] * V + w)
                c[idx] = fit.index(key)
                prev[idx] = np.where(ended, 0, w)
            alive[idx[ended]] = False
        # lay the batch's sentences out in batch order: token t of sentence s
        lengths = np.zeros(B, dtype=np.int64)
        for idx, _w in steps:
            lengths[idx] += 1
        offs = np.concatenate(([0], np.cumsum(lengths)))
        buf = np.empty(offs[-1], dtype=np.int32)
        pos = offs[:-1].copy()
        for idx, w in steps:
            buf[pos[idx]] = w
            pos[idx] += 1
        out.append(buf)
        total += len(buf)
    return np.concatenate(out)[:N]


def main():
    path, k, N, T = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    B = int(sys.argv[5]) if len(sys.argv) > 5 else 4096
    train = np.fromfile(path, dtype=np.int32)
    V = int(train.max()) + 1
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    c0 = time.process_time()
    fit = Fit(train, k, V)
    vocab = 0
    for _g in range(2, T + 1):
        d = generate(fit, N, B, rng)
        fit = Fit(d, k, V)
        vocab = len(np.unique(d))
    s = time.perf_counter() - t0
    c = time.process_time() - c0
    json.dump({"seconds": s, "cpu_seconds": c, "tokens_per_second": (T - 1) * N / s, "tokens_per_cpu_second": (T - 1) * N / c, "final_types": vocab}, sys.stdout)


main()

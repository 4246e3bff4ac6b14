"""Checks every formula of docs/theory.md three ways: mpmath at 40 digits (the worked numbers),
a literal numpy simulation of each regime judged by z-scores, and the values `collapse theory
--json` prints (run `npm run build` first; skipped if dist/ is missing).

    python3 docs/theory_check.py          # about 20 s; needs numpy and mpmath

Every line prints PASS or FAIL; the exit status is the number of failures."""
import json
import math
import os
import subprocess
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "dist", "src", "cli.js")
Z_BOUND = 4.5  # |z| beyond this has probability 7e-6 per check under a correct formula
failures = 0


def check(name, ok, detail):
    global failures
    failures += 0 if ok else 1
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")


def close(name, got, want, rel=1e-9):
    check(name, abs(got - want) <= rel * abs(want), f"{got:.10g} vs {want:.10g}")


def zcheck(name, sample, want):
    m = float(np.mean(sample))
    se = float(np.std(sample, ddof=1)) / math.sqrt(len(sample))
    z = (m - want) / se
    check(name, abs(z) < Z_BOUND, f"simulated {m:.6g} ± {se:.2g}, theory {want:.6g}, z = {z:+.2f}")


# ---- replace: the closed forms (section 3) ----------------------------------------------------
def replace_forms(n, T, ddof, s0=1, tau=1):
    k = n - 1
    x = mp.mpf(k) / 2
    c = mp.sqrt(mp.mpf(2) / (n - ddof)) * mp.gamma(x + mp.mpf(1) / 2) / mp.gamma(x)
    r = mp.mpf(k) / (n - ddof)
    a = s0 * mp.power(tau, mp.mpf(T - 1) / 2)  # s0·τ^((T−1)/2)
    es = a * c**T
    es2 = a**2 * r**T
    eln = mp.log(a) + T * (mp.digamma(x) + mp.log(mp.mpf(2) / (n - ddof))) / 2
    vln = T * mp.psi(1, x) / 4
    q = tau * r
    vm = s0**2 * (T if q == 1 else (q**T - 1) / (q - 1)) / n
    return dict(c=c, r=r, es=es, sd=mp.sqrt(es2 - es**2), es2=es2, eln=eln, vln=vln, vm=vm,
                w2=vm + es2 - 2 * s0 * es + s0**2)


f = replace_forms(1000, 1000, 0)
close("E[s_T], n = T = 1000, ddof 0", float(f["es"]), 0.47213, rel=1e-5)
close("sd[s_T]", float(f["sd"]), 0.38051, rel=1e-5)
close("E[log10 s_T]", float(f["eln"] / mp.log(10)), -0.43469, rel=1e-5)
close("sd[log10 s_T]", float(mp.sqrt(f["vln"]) / mp.log(10)), 0.30740, rel=1e-4)
close("Var[m_T]", float(f["vm"]), 0.63230, rel=1e-5)
close("E[s_T^2]", float(f["es2"]), 0.36770, rel=1e-4)
close("E[W2^2]", float(f["w2"]), 1.0557, rel=1e-4)
close("E[s_T], T = 10000", float(replace_forms(1000, 10000, 0)["es"]), 5.5032e-4, rel=1e-4)
close("c, n = 1000, ddof 0", float(f["c"]), 0.9992497812, rel=1e-10)
close("Var[m_T] = T/n for ddof 1", float(replace_forms(50, 200, 1)["vm"]), 4.0, rel=1e-30)

# the asymptotic series of section 6, against the functions at x = 20 (where the code switches)
x = mp.mpf(20)
g_exact = mp.loggamma(x + 0.5) - mp.loggamma(x) - mp.log(x) / 2
g_series = (-mp.mpf(1) / 8 + 1 / (192 * x**2) - 1 / (640 * x**4) + mp.mpf(17) / (14336 * x**6) - mp.mpf(31) / (18432 * x**8)) / x
check("g(x) series at x = 20", abs(g_exact - g_series) < 2e-17, f"error {float(g_exact - g_series):.2e}")
h_exact = mp.digamma(x) - mp.log(x)
h_series = -1 / (2 * x) - 1 / (12 * x**2) + 1 / (120 * x**4) - 1 / (252 * x**6) + 1 / (240 * x**8) - 1 / (132 * x**10)
check("h(x) series at x = 20", abs(h_exact - h_series) < 1e-17, f"error {float(h_exact - h_series):.2e}")

# Suresh et al.'s per-generation factor for ddof 1: c ≤ exp(−1/(4n − 1)), all n checked here
worst = max(
    float(mp.log(replace_forms(n, 1, 1)["c"]) + mp.mpf(1) / (4 * n - 1))
    for n in list(range(2, 2001)) + [10**k for k in range(4, 10)]
)
check("ln c + 1/(4n − 1) < 0 for ddof 1, n = 2..2000 and 10^4..10^9", worst < 0, f"largest {worst:.3e}")

# ---- simulations (literal draws, numpy PCG64) -------------------------------------------------
rng = np.random.default_rng(20261201)


def fit(xs, ddof):
    """Mean and sd of each row, two-pass."""
    m = xs.mean(axis=1)
    ss = ((xs - m[:, None]) ** 2).sum(axis=1)
    return m, np.sqrt(ss / (xs.shape[1] - ddof))


def replace_sim(n, T, ddof, tau, E, s0=1.0, m0=0.0):
    m = np.full(E, m0)
    sigma = np.full(E, s0)
    for _ in range(T):
        m, s = fit(m[:, None] + sigma[:, None] * rng.standard_normal((E, n)), ddof)
        sigma = math.sqrt(tau) * s
    return m, s


n, T, ddof, tau, E = 10, 20, 0, 0.8, 400_000
m, s = replace_sim(n, T, ddof, tau, E)
f = replace_forms(n, T, ddof, tau=tau)
zcheck(f"replace τ = {tau}, n = {n}, T = {T}: E[s_T]", s, float(f["es"]))
zcheck("  E[s_T^2]", s**2, float(f["es2"]))
zcheck("  E[ln s_T]", np.log(s), float(f["eln"]))
zcheck("  Var[ln s_T] (as E[(ln s_T − mean)^2])", (np.log(s) - float(f["eln"])) ** 2, float(f["vln"]))
zcheck("  Var[m_T] (as E[m_T^2])", m**2, float(f["vm"]))
zcheck("  E[W2^2]", m**2 + (s - 1) ** 2, float(f["w2"]))
# power: T factors of τ instead of T − 1 (E[s_T] smaller by √τ = 0.894) must be far outside
z_alt = (float(np.mean(s)) - float(f["es"]) * math.sqrt(tau)) / (float(np.std(s, ddof=1)) / math.sqrt(E))
check("  control: τ^(T/2) in place of τ^((T−1)/2) is rejected", abs(z_alt) > 10 * Z_BOUND, f"z = {z_alt:+.1f}")


# ---- accumulate and fresh: the recursions (sections 4 and 5), written from the derivations ------
def accumulate_rec(n, T, ddof, tau, s0=1.0):
    S = s0**2 * (n - 1)
    a, b = S / (n - ddof), s0**2 / n
    for t in range(1, T):
        b = b + tau * a / (n * (t + 1) ** 2)
        S = S + tau * a * (n - 1 + t / (t + 1))
        a = S / ((t + 1) * n - ddof)
    return a, b


def fresh_rec(n, T, ddof, tau, kA, s0=1.0):
    kB = n - kA
    a, b = s0**2 * (n - 1) / (n - ddof), s0**2 / n
    for _ in range(1, T):
        ta = tau * a
        a, b = ((s0**2 * (kA - 1) + ta * (kB - 1) + kA * kB / n * (s0**2 / kA + b + ta / kB)) / (n - ddof),
                (kA * s0**2 + kB**2 * b + kB * ta) / n**2)
    return a, b


def accumulate_sim(n, T, ddof, tau, E):
    pool = rng.standard_normal((E, n))
    m, s = fit(pool, ddof)
    for t in range(1, T):
        sigma = math.sqrt(tau) * np.sqrt(((pool - m[:, None]) ** 2).sum(axis=1) / (pool.shape[1] - ddof))
        pool = np.concatenate([pool, m[:, None] + sigma[:, None] * rng.standard_normal((E, n))], axis=1)
        m, s = fit(pool, ddof)
    return m, s


def fresh_sim(n, T, ddof, tau, kA, E):
    m, s = fit(rng.standard_normal((E, n)), ddof)
    for _ in range(1, T):
        xs = np.concatenate([rng.standard_normal((E, kA)),
                             m[:, None] + math.sqrt(tau) * s[:, None] * rng.standard_normal((E, n - kA))], axis=1)
        m, s = fit(xs, ddof)
    return m, s


n, T, ddof, tau = 5, 8, 1, 0.9
a, b = accumulate_rec(n, T, ddof, tau)
m, s = accumulate_sim(n, T, ddof, tau, 200_000)
zcheck(f"accumulate n = {n}, T = {T}, ddof 1, τ = {tau}: E[s_T^2]", s**2, a)
zcheck("  Var[m_T]", m**2, b)
bound = math.pi**2 / 6 * max(1.0, tau * max(accumulate_rec(n, t, ddof, tau)[0] for t in range(1, 200))) / n
check("  Var[m_T] ≤ (π²/6)·max sampling variance / n at T = 200",
      accumulate_rec(n, 200, ddof, tau)[1] <= bound, f"{accumulate_rec(n, 200, ddof, tau)[1]:.5g} ≤ {bound:.5g}")

n, T, ddof, tau, kA = 6, 8, 0, 1.2, 2
a, b = fresh_rec(n, T, ddof, tau, kA)
m, s = fresh_sim(n, T, ddof, tau, kA, 200_000)
zcheck(f"fresh n = {n}, kA = {kA}, T = {T}, ddof 0, τ = {tau}: E[s_T^2]", s**2, a)
zcheck("  Var[m_T]", m**2, b)


# ---- augment: the recursion of section 13, and its fixed point -------------------------------
def augment_rec(n, T, ddof, tau, k, s0=1.0):
    a, D = s0**2 * (n - 1) / (n - ddof), 0.0
    for _ in range(1, T):
        if k > 0:
            spread = D + tau * a / k
            a, D = (s0**2 * (n - 1) + tau * a * (k - 1) + n * k / (n + k) * spread) / (n + k - ddof), (k / (n + k)) ** 2 * spread
    return a, s0**2 / n + D


def augment_sim(n, T, ddof, tau, k, E):
    kept = rng.standard_normal((E, n))
    m, s = fit(kept, ddof)
    for _ in range(1, T):
        m, s = fit(np.concatenate([kept, m[:, None] + math.sqrt(tau) * s[:, None] * rng.standard_normal((E, k))], axis=1), ddof)
    return m, s


n, T, ddof, tau, k = 6, 8, 1, 0.8, 12
a, b = augment_rec(n, T, ddof, tau, k)
m, s = augment_sim(n, T, ddof, tau, k, 200_000)
zcheck(f"augment n = {n}, k = {k}, T = {T}, ddof 1, τ = {tau}: E[s_T^2]", s**2, a)
zcheck("  Var[m_T]", m**2, b)
n, k = 100, 100
close("  fixed point E[s^2] = s0²(n − 1)/(n + k − ddof − τ(k − 1) − τ(n + k)/(n + 2k)) at n = k = 100",
      augment_rec(n, 2000, 0, 1, k)[0], (n - 1) / (n + k - (k - 1) - (n + k) / (n + 2 * k)), rel=1e-12)


# ---- the code's values ------------------------------------------------------------------------
def cli(args):
    out = subprocess.run(["node", CLI, "theory", "--json", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["generations"]


if os.path.exists(CLI):
    for n, T, ddof, tau in [(1000, 1000, 0, 1), (10, 20, 0, 0.8), (7, 300, 1, 1.01)]:
        g = cli(["-n", str(n), "-t", str(T), "--ddof", str(ddof), "--temperature", str(tau)])[0]
        f = replace_forms(n, T, ddof, tau=tau)
        for key, got, want in [("E[s_T]", g["sd"]["mean"], f["es"]), ("sd[s_T]", g["sd"]["sd"], f["sd"]),
                               ("E[log10 s_T]", g["log10Sd"]["mean"], f["eln"] / mp.log(10)),
                               ("Var[m_T]", g["mean"]["var"], f["vm"]), ("E[s_T^2]", g["sdSq"]["mean"], f["es2"]),
                               ("E[W2^2]", g["w2sq"]["mean"], f["w2"])]:
            close(f"collapse theory n={n} T={T} ddof={ddof} τ={tau}: {key}", got, float(want), rel=1e-11)
    g = cli(["-n", "5", "-t", "8", "--ddof", "1", "--temperature", "0.9", "--regime", "accumulate"])[0]
    a, b = accumulate_rec(5, 8, 1, 0.9)
    close("collapse theory accumulate: E[s_T^2]", g["sdSq"]["mean"], a, rel=1e-13)
    close("collapse theory accumulate: Var[m_T]", g["mean"]["var"], b, rel=1e-13)
    g = cli(["-n", "6", "-t", "8", "--temperature", "1.2", "--regime", "fresh", "--fresh", str(2 / 6)])[0]
    a, b = fresh_rec(6, 8, 0, 1.2, 2)
    close("collapse theory fresh: E[s_T^2]", g["sdSq"]["mean"], a, rel=1e-13)
    close("collapse theory fresh: Var[m_T]", g["mean"]["var"], b, rel=1e-13)
    g = cli(["-n", "6", "-t", "8", "--ddof", "1", "--temperature", "0.8", "--regime", "augment", "--synthetic", "2"])[0]
    a, b = augment_rec(6, 8, 1, 0.8, 12)
    close("collapse theory augment: E[s_T^2]", g["sdSq"]["mean"], a, rel=1e-13)
    close("collapse theory augment: Var[m_T]", g["mean"]["var"], b, rel=1e-13)
else:
    print("SKIP  collapse theory: dist/src/cli.js is missing (npm run build)")


# ---- section 17: the survival bound of Suresh et al. against the exact chain -----------------
def start17(K, dist):
    if dist == "uniform":
        return [mp.mpf(1) / K] * K
    w = [mp.mpf(i) ** -mp.mpf(dist.split(":")[1]) for i in range(1, K + 1)]
    s = mp.fsum(w)
    return [x / s for x in w]


def chain17(K, dist, n, ts):
    """E[support_t], E[coverage_t]: the law of each count iterated in numpy, pmfs from lgamma."""
    p0 = np.array([float(x) for x in start17(K, dist)])
    k = np.arange(n + 1)
    lf = np.array([math.lgamma(i + 1) for i in range(n + 1)])

    def pmf(p):
        with np.errstate(divide="ignore"):
            lp = np.where(k > 0, k * np.log(p), 0.0) + np.where(n - k > 0, (n - k) * np.log1p(-p), 0.0)
        return np.exp(lf[n] - lf - lf[::-1] + lp)

    X = np.array([pmf(p) for p in p0])
    M = np.array([pmf(x / n) if 0 < x < n else (k == x).astype(float) for x in range(n + 1)])
    out = {}
    for t in range(1, max(ts) + 1):
        if t > 1:
            X = X @ M
        if t in ts:
            alive = 1 - X[:, 0]
            out[t] = (float(alive.sum()), float((p0 * alive).sum()))
    return out


def bound17(K, dist, n, t):
    """Σ b_i(t) and Σ p0_i b_i(t) in mpmath: b_i(t) = 1 − (1 − p0_i(1 − e^(−1/(t−1))))^n, t = 1 exact."""
    m = 1 if t == 1 else 1 - mp.e ** (-mp.mpf(1) / (t - 1))
    b = [(p, 1 - (1 - p * m) ** n) for p in start17(K, dist)]
    return mp.fsum(x for _, x in b), mp.fsum(p * x for p, x in b)


# the rows of section 17's table: (K, dist, n, T, {t: (E[support], bound, E[coverage], bound)});
# `collapse run -t T` checks the rows up to T (the Zipf row's t = 50, 200 by numpy and mpmath only: the
# engine's chain to 200 generations of 1000 categories takes seconds)
TABLE17 = [
    (1000, "zipf:1.1", 100, 10, {1: (54.6622, 54.6622, 0.5811, 0.5811), 2: (38.3669, 38.2657, 0.5258, 0.5253),
                                 5: (21.9526, 16.4140, 0.4367, 0.3879), 10: (13.5708, 8.7556, 0.3578, 0.2803),
                                 50: (3.8764, 1.9314, 0.1591, 0.0848), 200: (1.3853, 0.4954, 0.0646, 0.0232)}),
    (50, "uniform", 30, 60, {2: (16.0212, 15.8647, 0.3204, 0.3173), 5: (8.8361, 6.2274, 0.1767, 0.1245),
                             20: (3.0232, 1.5155, 0.0605, 0.0303), 60: (1.3744, 0.5017, 0.0275, 0.0100)}),
    (2, "uniform", 2, 20, {2: (1.2500, 1.0645, 0.6250, 0.5322), 20: (1.0000, 0.1012, 0.5000, 0.0506)}),
]
for K, dist, n, T, rows in TABLE17:
    ex = chain17(K, dist, n, list(rows))
    eng = None
    if os.path.exists(CLI):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["node", CLI, "run", "--model", "categorical", "--categories", str(K), "--dist", dist,
                            "-n", str(n), "-t", str(T), "-e", "2", "--every", "1", "--no-plot", "-o", d],
                           capture_output=True, text=True, check=True)
            lines = open(os.path.join(d, "trajectory.csv")).read().split("\n")
            head = lines[0].split(",")
            eng = {int(r.split(",")[0]): dict(zip(head, r.split(","))) for r in lines[1:] if r}
    for t, (es, bs, ec, bc) in rows.items():
        s_, c_ = ex[t]
        b_s, b_c = bound17(K, dist, n, t)
        where = f"section 17 K={K} {dist} n={n} t={t}"
        check(f"{where}: table's E[support], bound, E[coverage], bound",
              all(abs(float(a) - b) <= 5e-5 for a, b in [(s_, es), (b_s, bs), (c_, ec), (b_c, bc)]),
              f"{s_:.4f} {float(b_s):.4f} {c_:.4f} {float(b_c):.4f}")
        check(f"{where}: bound ≤ exact", b_s <= s_ * (1 + 1e-12) and b_c <= c_ * (1 + 1e-12), f"{float(b_s):.6g} ≤ {s_:.6g}")
        if eng is not None and t <= T:
            row = eng[t]
            for col, want in [("theory_support_mean", s_), ("theory_coverage_mean", c_),
                              ("theory_support_suresh", float(b_s)), ("theory_coverage_suresh", float(b_c))]:
                close(f"{where}: collapse run {col}", float(row[col]), want, rel=1e-9)
# the other reading, λ_i = n·p0_i with k = t: valid but weaker (8.37 against 8.76 at t = 10)
other = mp.fsum(1 - mp.e ** (-100 * p / 10) for p in start17(1000, "zipf:1.1"))
check("section 17 K=1000 zipf:1.1 n=100 t=10: Σ(1 − e^(−n p0_i/t)) = 8.37 ≤ the bound 8.76",
      abs(other - mp.mpf("8.3741")) < 5e-5 and other <= bound17(1000, "zipf:1.1", 100, 10)[0], f"{float(other):.4f}")
close("section 17 K=2 n=2 t=2 by hand: 2 − (1 + 1/e)²/2", float(bound17(2, "uniform", 2, 2)[0]),
      float(2 - (1 + mp.e ** -1) ** 2 / 2), rel=1e-30)

sys.exit(failures)

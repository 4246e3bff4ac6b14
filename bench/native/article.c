/*
 * The article's experiment (n normals per generation, T generations, E experiments; fit the mean
 * and the population sd, draw the next generation from the fit) as a native C yardstick for
 * `npm run bench`, on two generators:
 *
 *   --gen engine  the engine's own stream: seeds from splitmix64-v1 (src/seed.ts), xoshiro128**,
 *                 the 128-region 53-bit ziggurat of workers/ziggurat.ts with its tables (generated
 *                 from the JS module into zig128.h by bench/native.ts), the chain of
 *                 workers/chains.ts in (m, ln s). Same deviates; finals agree with the engine's to
 *                 rounding of exp/log (glibc against V8's fdlibm port).
 *   --gen x256    xoshiro256+ and a 256-region ziggurat on one 64-bit word per deviate (bits
 *                 3..10 region, 11 sign, 12..63 abscissa): the cheapest common native loop, and
 *                 the engine's `--rng x256` generator (workers/x256.ts) with its tables (zig256 in
 *                 the same header) and seeds: the same deviates but for exp/log rounding.
 *
 * --dump K prints the first K deviates of experiment 0 (under --seed) of the chosen generator, one
 * per line in C's hexadecimal float format, and exits: test/x256.test.ts holds the engine's
 * generators to them.
 *
 * Experiments are split in contiguous halves (or --threads parts) over pthreads. Prints one JSON
 * line. Build: cc -O3 -march=native -ffp-contract=off -pthread -I<dir of zig128.h> article.c -lm
 * (-ffp-contract=off: no fused multiply-add, as in JS, so the engine stream's sums round alike).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zig128.h" /* ZIG128_R, ZIG128_K24[256], ZIG128_W53[256], ZIG128_K53[128], ZIG128_F[128],
                      ZIG256_R, ZIG256_K[256], ZIG256_W[512], ZIG256_F[256] */

static int N = 1000, T = 1000, E = 1000, THREADS = 2;
static uint64_t SEED = 1;
static int GEN_ENGINE = 1;
static double *final_ls, *final_m;

/* ---- splitmix64-v1 (src/seed.ts) ---- */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static const uint64_t GAMMA = 0x9e3779b97f4a7c15ULL;

/* ---- xoshiro128** + 53-bit 128-region ziggurat (workers/xoshiro.ts, workers/ziggurat.ts) ---- */
typedef struct { uint32_t s[4]; } x128;

static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static inline uint32_t next32(x128 *g) {
  uint32_t *s = g->s;
  const uint32_t result = rotl32(s[1] * 5, 7) * 9;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}
static inline double open_unit(x128 *g) {
  uint32_t hi = next32(g) >> 5, lo = next32(g) >> 6;
  return ((double)hi * 67108864.0 + (double)lo + 1.0) * 1.1102230246251565e-16;
}

static inline __attribute__((always_inline)) double zig128_slow(x128 *g, uint32_t idx, int64_t j) {
  for (;;) {
    uint32_t i = idx & 127;
    if ((double)j < ZIG128_K53[i]) return (double)j * ZIG128_W53[idx];
    if (i == 0) {
      double x, y;
      do {
        x = -log(open_unit(g)) / ZIG128_R;
        y = -log(open_unit(g));
      } while (y + y < x * x);
      return (idx & 128) ? -(ZIG128_R + x) : ZIG128_R + x;
    }
    double x = (double)j * ZIG128_W53[idx];
    double fi = ZIG128_F[i];
    if (fi + (1 - open_unit(g)) * (ZIG128_F[i - 1] - fi) < exp(-0.5 * x * x)) return x;
    uint32_t u1 = next32(g), u2 = next32(g);
    idx = u1 & 255;
    uint32_t hi = u1 >> 8;
    j = ((int64_t)hi << 29) | (u2 >> 3);
    if ((int32_t)hi < ZIG128_K24[idx]) return (double)j * ZIG128_W53[idx];
  }
}

static inline __attribute__((always_inline)) double zig128(x128 *g) {
  uint32_t u1 = next32(g), u2 = next32(g);
  uint32_t idx = u1 & 255, hi = u1 >> 8;
  int64_t j = ((int64_t)hi << 29) | (u2 >> 3);
  if ((int32_t)hi < ZIG128_K24[idx]) return (double)j * ZIG128_W53[idx];
  return zig128_slow(g, idx, j);
}

/* ---- xoshiro256+ and a 256-region ziggurat on 52 bits ---- */
typedef struct { uint64_t s[4]; } x256;

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next64(x256 *g) {
  uint64_t *s = g->s;
  const uint64_t result = s[0] + s[3];
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64(s[3], 45);
  return result;
}
static inline double unit53(x256 *g) { return (double)(next64(g) >> 11) * 1.1102230246251565e-16; }

/* The tables of workers/x256.ts, from zig128.h: the same doubles as the engine's. */
#define Z256_R ZIG256_R
#define Z256_K ZIG256_K
#define Z256_F ZIG256_F
#define Z256_WS ZIG256_W

/* Bits 3..11 pick the region and the sign through a signed width table (a branch on the sign
 * mispredicts half the time: 2.4x slower measured), bits 12..63 the abscissa. The draws and their
 * rare branches are forced inline: once --dump drew them from a second place, gcc left the slow
 * paths out of line and the chain ran 2.4x (engine stream) to 3.6x (x256) slower. */
static inline __attribute__((always_inline)) double zig256_slow(x256 *g, int idx, int64_t rabs) {
  for (;;) {
    int i = idx & 0xff;
    double x = (double)rabs * Z256_WS[idx];
    if (rabs < Z256_K[i]) return x;
    if (i == 0) {
      for (;;) {
        double xx = -log(1 - unit53(g)) / Z256_R;
        double yy = -log(1 - unit53(g));
        if (yy + yy > xx * xx) return idx & 256 ? -(Z256_R + xx) : Z256_R + xx;
      }
    }
    if ((Z256_F[i - 1] - Z256_F[i]) * unit53(g) + Z256_F[i] < exp(-0.5 * x * x)) return x;
    uint64_t r = next64(g);
    idx = (int)((r >> 3) & 0x1ff);
    rabs = (int64_t)(r >> 12);
  }
}

static inline __attribute__((always_inline)) double zig256(x256 *g) {
  uint64_t r = next64(g);
  int idx = (int)((r >> 3) & 0x1ff);
  int64_t rabs = (int64_t)(r >> 12);
  if (rabs < Z256_K[idx & 0xff]) return (double)rabs * Z256_WS[idx];
  return zig256_slow(g, idx, rabs);
}

/* ---- the chain (workers/chains.ts replaceChain, ddof 0, tau 1, from N(0, 1)) ---- */
typedef struct { int start, count; } part;

#define CHAIN(DRAW, G)                                                   \
  do {                                                                   \
    double m = 0, ls = 0;                                                \
    for (int gen = 1; gen <= T; gen++) {                                   \
      double shift = 0, sum = 0, sumsq = 0;                              \
      for (int i = 0; i < N; i++) {                                      \
        double z = DRAW(G);                                              \
        if (i == 0) shift = z;                                           \
        double d = z - shift;                                            \
        sum += d;                                                        \
        sumsq += d * d;                                                  \
      }                                                                  \
      double zbar = shift + sum / N, ss = sumsq - (sum * sum) / N;       \
      m += exp(ls) * zbar;                                               \
      ls += 0.5 * (log(ss) - lnDf);                                      \
    }                                                                    \
    final_ls[e] = ls;                                                    \
    final_m[e] = m;                                                      \
  } while (0)

static void *worker(void *arg) {
  const part *p = arg;
  const double lnDf = log((double)N);
  const uint64_t key = mix64(SEED + GAMMA);
  for (int e = p->start; e < p->start + p->count; e++) {
    uint64_t w0 = mix64(key + (2 * (uint64_t)e + 1) * GAMMA);
    uint64_t w1 = mix64(key + (2 * (uint64_t)e + 2) * GAMMA);
    if (GEN_ENGINE) {
      x128 g = {{(uint32_t)w0, (uint32_t)(w0 >> 32), (uint32_t)w1, (uint32_t)(w1 >> 32)}};
      if ((g.s[0] | g.s[1] | g.s[2] | g.s[3]) == 0) g.s[0] = 1;
      CHAIN(zig128, &g);
    } else {
      x256 g = {{w0, w1, mix64(w0 ^ GAMMA), mix64(w1 ^ GAMMA) | 1}};
      CHAIN(zig256, &g);
    }
  }
  return NULL;
}

/* --dump: out of line and cold, apart from the chain. */
static __attribute__((noinline, cold)) void dump_deviates(int k) {
  const uint64_t key = mix64(SEED + GAMMA);
  uint64_t w0 = mix64(key + GAMMA), w1 = mix64(key + 2 * GAMMA);
  x128 g = {{(uint32_t)w0, (uint32_t)(w0 >> 32), (uint32_t)w1, (uint32_t)(w1 >> 32)}};
  x256 h = {{w0, w1, mix64(w0 ^ GAMMA), mix64(w1 ^ GAMMA) | 1}};
  for (int i = 0; i < k; i++) printf("%a\n", GEN_ENGINE ? zig128(&g) : zig256(&h));
}

static int arg_int(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < 1 || v > 100000000) {
    fprintf(stderr, "article: expected a positive integer, got %s\n", s);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char **argv) {
  const char *finals = NULL;
  int dump = 0;
  for (int a = 1; a < argc; a++) {
    const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
    if (v == NULL) { fprintf(stderr, "article: %s needs a value\n", k); return 2; }
    if (!strcmp(k, "-n")) N = arg_int(v);
    else if (!strcmp(k, "-t")) T = arg_int(v);
    else if (!strcmp(k, "-e")) E = arg_int(v);
    else if (!strcmp(k, "--threads")) THREADS = arg_int(v);
    else if (!strcmp(k, "--seed")) SEED = strtoull(v, NULL, 10);
    else if (!strcmp(k, "--finals")) finals = v;
    else if (!strcmp(k, "--dump")) dump = arg_int(v);
    else if (!strcmp(k, "--gen")) {
      if (!strcmp(v, "engine")) GEN_ENGINE = 1;
      else if (!strcmp(v, "x256")) GEN_ENGINE = 0;
      else { fprintf(stderr, "article: --gen is engine or x256, got %s\n", v); return 2; }
    } else { fprintf(stderr, "article: unknown flag %s\n", k); return 2; }
    a++;
  }
  if (dump > 0) {
    dump_deviates(dump);
    return 0;
  }
  final_ls = malloc(sizeof(double) * E);
  final_m = malloc(sizeof(double) * E);
  if (THREADS > E) THREADS = E;
  pthread_t *th = malloc(sizeof(pthread_t) * THREADS);
  part *parts = malloc(sizeof(part) * THREADS);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < THREADS; i++) {
    parts[i].start = (int)((long)E * i / THREADS);
    parts[i].count = (int)((long)E * (i + 1) / THREADS) - parts[i].start;
    pthread_create(&th[i], NULL, worker, &parts[i]);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  double sum = 0;
  for (int e = 0; e < E; e++) sum += final_ls[e];
  if (finals != NULL) {
    FILE *f = fopen(finals, "w");
    if (f == NULL) { perror(finals); return 1; }
    fprintf(f, "experiment,mean,ln_sd\n");
    for (int e = 0; e < E; e++) fprintf(f, "%d,%.17g,%.17g\n", e, final_m[e], final_ls[e]);
    fclose(f);
  }
  double draws = (double)N * T * E;
  printf("{\"impl\":\"c-%s\",\"threads\":%d,\"experiments\":%d,\"wallSeconds\":%.6f,\"normalsPerSecond\":%.6e,"
         "\"meanFinalLnSd\":%.17g,\"zigguratR256\":%.17g}\n",
         GEN_ENGINE ? "engine" : "x256", THREADS, E, wall, draws / wall, sum / E, Z256_R);
  return 0;
}

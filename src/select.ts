/**
 * Exact order statistics by selection instead of a full sort: after `selectRanks`, each requested
 * rank of a Float64Array holds the value a full ascending sort (Float64Array.prototype.sort) would
 * put there, in O(n log m) for m ranks instead of O(n log n).
 */

/** Partitions of at most this many elements are finished without sampling a pivot range. */
const SAMPLE_ABOVE = 600;

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Floyd & Rivest's SELECT (CACM 18(3), 1975, Algorithm 489), in the form of V. Agafonkin's
 * quickselect: puts the k-th smallest of a[left..right] at a[k], smaller-or-equal values before it
 * and larger-or-equal after. Needs no NaN in the range (every comparison is a plain < or >).
 * Expected n + min(k − left, right − k) + o(n) comparisons.
 */
function floydRivest(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > SAMPLE_ABOVE) {
      // recurse on a sample range that holds the k-th element with high probability
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (m * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - m) * s) / n + sd));
      floydRivest(a, k, newLeft, newRight);
    }
    const t = a[k]!;
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right]! > t) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i]! < t) i++;
      while (a[j]! > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

/** Puts the smallest of a[left..right] at a[left] (rank `left` of that range). */
function selectMin(a: Float64Array, left: number, right: number): void {
  let at = left;
  let v = a[left]!;
  for (let i = left + 1; i <= right; i++) {
    if (a[i]! < v) {
      v = a[i]!;
      at = i;
    }
  }
  swap(a, left, at);
}

/** Puts the largest of a[left..right] at a[right]. */
function selectMax(a: Float64Array, left: number, right: number): void {
  let at = right;
  let v = a[right]!;
  for (let i = left; i < right; i++) {
    if (a[i]! > v) {
      v = a[i]!;
      at = i;
    }
  }
  swap(a, right, at);
}

/**
 * Selects ascending ranks ks[kl..kh], all inside [left, right]: the middle one first, then each
 * side on its own part (so m ranks cost O(n log m)); a rank at an end of its part is a min or max
 * scan.
 */
function multiSelect(a: Float64Array, left: number, right: number, ks: Int32Array, kl: number, kh: number): void {
  while (kl <= kh && left < right) {
    const mid = (kl + kh) >> 1;
    const k = ks[mid]!;
    if (k === left) selectMin(a, left, right);
    else if (k === right) selectMax(a, left, right);
    else floydRivest(a, k, left, right);
    multiSelect(a, left, k - 1, ks, kl, mid - 1);
    left = k + 1;
    kl = mid + 1;
  }
}

/**
 * Reorders `a` in place so that a[k], for every k in `ranks` (ascending, distinct, in [0, n)),
 * holds exactly what `a.sort()` would put there: NaN after every number, −0 before +0. NaNs are
 * moved to the end first (they are all alike in every output); a −0 anywhere falls back to the full
 * sort, since < cannot tell it from +0. O(n log m).
 */
export function selectRanks(a: Float64Array, ranks: Int32Array): void {
  const n = a.length;
  if (n < 2 || ranks.length === 0) return;
  // NaNs to the end, in one pass; and is there a −0?
  let end = n;
  for (let i = 0; i < end; i++) {
    const v = a[i]!;
    if (v !== v) {
      end--;
      while (end > i && a[end]! !== a[end]!) end--;
      a[i] = a[end]!;
      a[end] = v;
      if (a[i] === 0 && 1 / a[i]! < 0) {
        a.sort();
        return;
      }
    } else if (v === 0 && 1 / v < 0) {
      a.sort();
      return;
    }
  }
  let kh = ranks.length - 1;
  while (kh >= 0 && ranks[kh]! >= end) kh--;
  if (kh >= 0) multiSelect(a, 0, end - 1, ranks, 0, kh);
}

/**
 * The ranks that type-7 quantiles at probabilities `ps` read from n sorted values (⌊(n−1)p⌋ and
 * the next, where it exists), with 0 and n − 1 (min and max): ascending, distinct.
 */
export function quantileRanks(n: number, ps: readonly number[]): Int32Array {
  if (n === 0) return new Int32Array(0);
  const set = new Set<number>([0, n - 1]);
  for (const p of ps) {
    const lo = Math.floor((n - 1) * p);
    set.add(lo);
    if (lo + 1 < n) set.add(lo + 1);
  }
  return Int32Array.from([...set].sort((x, y) => x - y));
}

/** Buckets of the histogram pass of orderStatistics (2^11: the counts stay in a core's L1 cache). */
const BUCKETS = 2048;
/**
 * Up to this many values orderStatistics copies and selects (the histogram does not pay), and a
 * bucket's copy is finished by selection. Measured with the 20 or so ranks a digest asks (the
 * quantile ranks and their neighbours), ns a value: at n = 256, 37 copying against 30 by the
 * histogram; at 512, 34 against 13; at 1024, 34 against 9 (it was 2048, which left the article
 * run's rows of 1000 on the slower path).
 */
const HISTOGRAM_ABOVE = 256;

const pair = new Float64Array(1);
const pairWords = new Int32Array(pair.buffer);
const LITTLE_ENDIAN = ((pair[0] = 1), pairWords[1] === 0x3ff00000);

/** The working arrays of one recursion depth of orderStatistics. */
interface Level {
  counts: Int32Array;
  slot: Int32Array;
  bucketOf: Int32Array;
  inBucket: Int32Array;
  scratch: Float64Array;
}
const levels: Level[] = [];
function level(depth: number, m: number): Level {
  const l = (levels[depth] ??= {
    counts: new Int32Array(BUCKETS),
    slot: new Int32Array(BUCKETS),
    bucketOf: new Int32Array(0),
    inBucket: new Int32Array(0),
    scratch: new Float64Array(0),
  });
  if (l.bucketOf.length < m) {
    l.bucketOf = new Int32Array(m);
    l.inBucket = new Int32Array(m);
  }
  return l;
}

/**
 * The order key of a double's upper 32 bits (as a signed integer `h`): keys compare as their
 * doubles do (−0 before +0; a negative double's bits flipped but for the sign), the lower word
 * left out, so x ≤ y implies key(x) ≤ key(y).
 */
function upperKey(h: number): number {
  return h ^ ((h >> 31) & 0x7fffffff);
}

/** The order key of the upper word of x. */
function keyOf(x: number): number {
  pair[0] = x;
  return upperKey(pairWords[1]!);
}

/** Counts `values` into linear buckets from `lo`, `scale` buckets per unit. */
function countLinear(values: Float64Array, lo: number, scale: number, counts: Int32Array): void {
  for (let i = 0; i < values.length; i++) {
    const c = ((values[i]! - lo) * scale) | 0;
    counts[c < BUCKETS ? c : BUCKETS - 1]!++;
  }
}

/** Counts the upper words `upper[2i + 1]` into key buckets from key `kLo`, 2^shift keys each. */
function countKeys(upper: Int32Array, kLo: number, shift: number, counts: Int32Array): void {
  for (let i = 1; i < upper.length; i += 2) counts[(upperKey(upper[i]!) - kLo) >>> shift]!++;
}

/** Copies each value whose linear bucket has slot[c] ≥ 0 to scratch[slot[c]++]. */
function copyLinear(values: Float64Array, lo: number, scale: number, slot: Int32Array, scratch: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let c = ((v - lo) * scale) | 0;
    if (c >= BUCKETS) c = BUCKETS - 1;
    const s = slot[c]!;
    if (s >= 0) {
      scratch[s] = v;
      slot[c] = s + 1;
    }
  }
}

/** Copies each value whose key bucket has slot[c] ≥ 0 to scratch[slot[c]++]. */
function copyKeys(values: Float64Array, upper: Int32Array, kLo: number, shift: number, slot: Int32Array, scratch: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    const c = (upperKey(upper[2 * i + 1]!) - kLo) >>> shift;
    const s = slot[c]!;
    if (s >= 0) {
      scratch[s] = values[i]!;
      slot[c] = s + 1;
    }
  }
}

/** Copies `values` into `scratch` and reads the ranks after selectRanks there: the reference path. */
function copySelect(values: Float64Array, ranks: Int32Array, out: Float64Array, scratch: Float64Array): void {
  const a = scratch.subarray(0, values.length);
  a.set(values);
  selectRanks(a, ranks);
  for (let j = 0; j < ranks.length; j++) out[j] = a[ranks[j]!]!;
}

/**
 * The values at `ranks` (ascending, distinct, in [0, n)) of `values` as a full ascending sort
 * (Float64Array.prototype.sort) orders them, into out[0 .. ranks.length); `values` is left as it
 * is and `scratch` (n or more doubles) is overwritten. `lo` and `hi`, the smallest and largest
 * value, where the caller has them (NaN: found here).
 *
 * Finite values take one radix pass instead of a selection's several: the upper 32 bits of each
 * double, as an order key, are counted into 2^11 buckets spanning [key(lo), key(hi)] (a key range,
 * so values over many decades and values inside one binade both spread over the buckets; values of
 * both signs are counted into linear buckets of [lo, hi] instead); the buckets that hold a
 * requested rank are copied out in a second pass, and each is finished by selectRanks, whose order
 * is the sort's (so −0 and +0 come out where the sort puts them), or, when crowded, by the same
 * again on its copy. Any NaN, or few values, takes the copy-and-select path. Three passes where
 * selection took about six.
 */
export function orderStatistics(
  values: Float64Array,
  ranks: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
  lo = NaN,
  hi = NaN,
  passes?: HistogramPasses,
): void {
  orderStatisticsAt(values, ranks, out, scratch, lo, hi, 0, passes);
}

/**
 * orderStatistics' two O(n) passes over a caller's values, run elsewhere (workers/wasm-summary.ts,
 * in WebAssembly) where `holds` says it can take those values and that scratch: the same bucket
 * for every value as countLinear/countKeys and copyLinear/copyKeys give it, so the same counts and
 * the same copies in the same order, and everything after them is this file's.
 */
export interface HistogramPasses {
  holds(values: Float64Array, scratch: Float64Array): boolean;
  /** The range pass: [lo, hi] as orderStatisticsAt finds them (lo NaN where any value is NaN). */
  range(values: Float64Array): [number, number];
  /** The 2^11 counts (countLinear where `linear`, else countKeys) into `counts`. */
  count(values: Float64Array, linear: boolean, lo: number, scale: number, kLo: number, shift: number, counts: Int32Array): void;
  /** copyLinear or copyKeys into `scratch`, `slot` updated as they update it. */
  copy(values: Float64Array, linear: boolean, lo: number, scale: number, kLo: number, shift: number, slot: Int32Array, scratch: Float64Array): void;
}

/** orderStatistics at recursion depth `depth` (0 for a caller's values, 1–3 for crowded buckets' copies). */
function orderStatisticsAt(
  values: Float64Array,
  ranks: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
  lo: number,
  hi: number,
  depth: number,
  passes?: HistogramPasses,
): void {
  const n = values.length;
  const m = ranks.length;
  if (m === 0) return;
  const elsewhere = passes !== undefined && passes.holds(values, scratch);
  if (lo !== lo || hi !== hi) {
    if (elsewhere) [lo, hi] = passes.range(values);
    else {
      lo = Infinity;
      hi = -Infinity;
      let nan = false;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v !== v) nan = true;
      }
      if (nan) lo = NaN;
    }
  }
  if (n <= HISTOGRAM_ABOVE || !LITTLE_ENDIAN || !(lo <= hi) || values.byteOffset % 8 !== 0) {
    copySelect(values, ranks, out, scratch);
    return;
  }
  const { counts, slot, bucketOf, inBucket } = level(depth, m);
  const upper = new Int32Array(values.buffer, values.byteOffset, 2 * n);
  // values of both signs fill linear buckets: their keys would span every binade down to the
  // smallest magnitude present, leaving the bulk in a few buckets; one sign fills key buckets
  const linear = lo < 0 && hi > 0 && hi - lo < Infinity;
  const scale = BUCKETS / (hi - lo);
  // (−0 and +0 compare equal, so a range ending at zero takes in both of their keys)
  const kLo = lo === 0 ? -1 : keyOf(lo);
  const range = (hi === 0 ? 0 : keyOf(hi)) - kLo; // in [0, 2^32): exact
  let shift = 0;
  while (range / 2 ** shift >= BUCKETS) shift++;
  if (elsewhere) passes!.count(values, linear, lo, scale, kLo, shift, counts);
  else {
    counts.fill(0);
    if (linear) countLinear(values, lo, scale, counts);
    else countKeys(upper, kLo, shift, counts);
  }
  // each rank's bucket and rank inside it; slot[b] ≥ 0: the offset in scratch of a bucket to copy
  slot.fill(-1);
  let below = 0;
  let b = 0;
  let at = 0;
  for (let j = 0; j < m; j++) {
    const k = ranks[j]!;
    while (below + counts[b]! <= k) below += counts[b++]!;
    if (slot[b]! < 0) {
      slot[b] = at;
      at += counts[b]!;
    }
    bucketOf[j] = b;
    inBucket[j] = k - below;
  }
  if (elsewhere) passes!.copy(values, linear, lo, scale, kLo, shift, slot, scratch);
  else if (linear) copyLinear(values, lo, scale, slot, scratch);
  else copyKeys(values, upper, kLo, shift, slot, scratch);
  // slot[b] is now the end of bucket b's copy; finish each bucket on its own ranks
  for (let j = 0; j < m; ) {
    const c = bucketOf[j]!;
    let e = j + 1;
    while (e < m && bucketOf[e] === c) e++;
    const end = slot[c]!;
    const part = scratch.subarray(end - counts[c]!, end);
    if ((linear || shift > 0) && part.length > HISTOGRAM_ABOVE && part.length > n >> 5 && depth < 3) {
      // a crowded bucket (a heavy tail stretched the range): the same again on its copy, over
      // its own narrower range
      const next = level(depth + 1, 0);
      if (next.scratch.length < part.length) next.scratch = new Float64Array(part.length);
      orderStatisticsAt(part, inBucket.subarray(j, e), out.subarray(j, e), next.scratch, NaN, NaN, depth + 1);
    } else {
      const own = inBucket.subarray(j, e);
      selectRanks(part, own);
      for (let i = j; i < e; i++) out[i] = part[inBucket[i]!]!;
    }
    j = e;
  }
}

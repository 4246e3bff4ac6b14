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

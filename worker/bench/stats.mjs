// The figures the benchmark programs print: percentiles of sorted samples, medians, sequential latency and
// closed-loop throughput. (Benchmarks print figures side by side; tests never assert timings.)

/** The p-th percentile of an ascending array. */
export function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One decimal, or "-" for a figure that was not measured. */
export const f1 = (x) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(1));

/** p50/p99 of `n` calls made one after another. */
export async function seqLatency(fn, n) {
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { p50: pct(ts, 50), p99: pct(ts, 99) };
}

/** Calls per second with `conc` callers in a loop for `seconds` (at most 200,000 calls). */
export async function throughput(fn, conc, seconds) {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (performance.now() < end && n < 200_000) {
      await fn();
      n++;
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

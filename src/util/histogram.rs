//! A latency histogram with the layout and arithmetic of HdrHistogram as Redis configures
//! it for per-command latency tracking: values from 1 ns to 1 s, 2 significant figures.
//!
//! The layout (buckets of 128 sub-buckets, each bucket twice as wide as the one before)
//! and the iteration used by LATENCY HISTOGRAM follow hdr_histogram's C code, so
//! percentiles and bucket boundaries are the numbers redis-server reports. It is a fixed
//! array of counters: recording a value is a few shifts and an increment, no allocation.

#![deny(clippy::indexing_slicing)]

/// Smallest recorded value (ns); smaller ones count as this.
pub const MIN_VALUE: u64 = 1;
/// Largest recorded value (ns); larger ones count as this.
pub const MAX_VALUE: u64 = 1_000_000_000;

/// 2 significant figures: single-unit resolution up to 200, so 256 sub-buckets.
const SUB_BUCKET_COUNT_MAGNITUDE: u32 = 8;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_COUNT: u64 = 1 << SUB_BUCKET_COUNT_MAGNITUDE;
const SUB_BUCKET_HALF_COUNT: u64 = SUB_BUCKET_COUNT / 2;
const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;
/// Buckets needed to cover `MAX_VALUE`: 256 << 22 is the first power past 1e9.
const BUCKET_COUNT: usize = 23;
/// Number of counters: (buckets + 1) * half the sub-buckets.
pub const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: [u64; COUNTS_LEN],
    total: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram {{ total: {} }}", self.total)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: [0; COUNTS_LEN],
            total: 0,
        }
    }
}

fn bucket_index(v: u64) -> u32 {
    let pow2ceiling = 64 - (v | SUB_BUCKET_MASK).leading_zeros();
    pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

fn sub_bucket_index(v: u64, bucket: u32) -> u64 {
    v >> bucket
}

fn counts_index(v: u64) -> usize {
    let b = bucket_index(v);
    let sb = sub_bucket_index(v, b);
    let base = (b as u64 + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
    (base + sb - SUB_BUCKET_HALF_COUNT) as usize
}

/// The smallest value of the counter at `index`.
fn value_at_index(index: usize) -> u64 {
    let index = index as u64;
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let mut sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub << bucket
}

fn lowest_equivalent(v: u64) -> u64 {
    let b = bucket_index(v);
    sub_bucket_index(v, b) << b
}

fn range_size(v: u64) -> u64 {
    let b = bucket_index(v);
    let adjusted = if sub_bucket_index(v, b) >= SUB_BUCKET_COUNT {
        b + 1
    } else {
        b
    };
    1 << adjusted
}

/// The largest value counted together with `v`.
pub fn highest_equivalent(v: u64) -> u64 {
    lowest_equivalent(v) + range_size(v) - 1
}

impl Histogram {
    /// Records one value in nanoseconds, clamped to 1 ns..1 s.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        let v = ns.clamp(MIN_VALUE, MAX_VALUE);
        if let Some(c) = self.counts.get_mut(counts_index(v)) {
            *c += 1;
            self.total += 1;
        }
    }

    /// Number of values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// `hdr_value_at_percentile`: the highest value equivalent to the one where the
    /// cumulative count reaches `p` percent of the total (the lowest, for p = 0).
    pub fn value_at_percentile(&self, p: f64) -> u64 {
        let p = p.min(100.0);
        let want = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut seen = 0;
        let mut found = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                found = value_at_index(i);
                break;
            }
        }
        if p == 0.0 {
            lowest_equivalent(found)
        } else {
            highest_equivalent(found)
        }
    }

    /// The cumulative distribution LATENCY HISTOGRAM replies: hdr_histogram's logarithmic
    /// iteration from 1024 ns doubling each step, as (highest equivalent value in µs,
    /// cumulative count) at each step where the cumulative count grew.
    pub fn log_buckets(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut level: u64 = 1024;
        let mut level_low = lowest_equivalent(level);
        let mut idx: i64 = -1;
        let mut value: u64 = 0;
        let mut highest: u64 = 0;
        let mut cumulative: u64 = 0;
        let mut previous: u64 = 0;
        let mut exhausted = false;
        while !exhausted {
            // hdr's log_iter_next: go on while counts remain, or while the next counter
            // lies past the pending reporting level.
            let peek = value_at_index((idx + 1) as usize);
            if !(cumulative < self.total || peek > level_low) {
                break;
            }
            loop {
                if idx >= 0 && value >= level_low {
                    level = level.saturating_mul(2);
                    level_low = lowest_equivalent(level);
                    break;
                }
                let next = (idx + 1) as usize;
                let Some(&c) = self.counts.get(next) else {
                    // Past the last counter: hdr reports the step where it stands.
                    exhausted = true;
                    break;
                };
                idx += 1;
                cumulative += c;
                value = value_at_index(next);
                highest = lowest_equivalent(value) + range_size(value) - 1;
            }
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_hdr() {
        assert_eq!(COUNTS_LEN, 3072);
        // The last counter covers MAX_VALUE.
        assert!(counts_index(MAX_VALUE) < COUNTS_LEN);
        assert_eq!(
            value_at_index(counts_index(MAX_VALUE)),
            lowest_equivalent(MAX_VALUE)
        );
        for v in [1, 100, 255, 256, 257, 1000, 9000, 123_456, 999_999_999] {
            let i = counts_index(v);
            assert_eq!(value_at_index(i), lowest_equivalent(v));
            assert!(lowest_equivalent(v) <= v && v <= highest_equivalent(v));
        }
        // Exact below 256, then 2 significant figures.
        assert_eq!(highest_equivalent(200), 200);
        assert_eq!(highest_equivalent(9000), 9023);
        assert_eq!(highest_equivalent(11_000), 11_007);
        assert_eq!(highest_equivalent(84_479), 84_479);
    }

    #[test]
    fn percentiles() {
        let mut h = Histogram::default();
        assert_eq!(h.value_at_percentile(50.0), 0);
        h.record(9000);
        for p in [0.0, 50.0, 99.0, 99.9, 100.0] {
            let want = if p == 0.0 { 8960 } else { 9023 };
            assert_eq!(h.value_at_percentile(p), want, "p{p}");
        }
        let mut h = Histogram::default();
        for v in 1..=100u64 {
            h.record(v * 1000);
        }
        assert_eq!(h.total(), 100);
        assert_eq!(h.value_at_percentile(50.0), highest_equivalent(50_000));
        assert_eq!(h.value_at_percentile(99.0), highest_equivalent(99_000));
        assert_eq!(h.value_at_percentile(99.9), highest_equivalent(100_000));
        assert_eq!(h.value_at_percentile(0.0), lowest_equivalent(1000));
        // Clamped to the range.
        let mut h = Histogram::default();
        h.record(0);
        h.record(5_000_000_000);
        assert_eq!(h.value_at_percentile(0.0), 1);
        assert_eq!(h.value_at_percentile(100.0), highest_equivalent(MAX_VALUE));
    }

    #[test]
    fn log_buckets_are_cumulative_powers_of_two() {
        let mut h = Histogram::default();
        assert_eq!(h.log_buckets(), vec![]);
        // Below 1024 ns: the first bucket, reported as 1 µs.
        h.record(500);
        assert_eq!(h.log_buckets(), vec![(1, 1)]);
        // 9 µs and 11 µs land at 16 µs (redis-server shows SET at 16 for 11 µs).
        let mut h = Histogram::default();
        h.record(11_000);
        assert_eq!(h.log_buckets(), vec![(16, 1)]);
        h.record(6_000);
        h.record(6_500);
        assert_eq!(h.log_buckets(), vec![(8, 2), (16, 3)]);
        h.record(3_000_000);
        assert_eq!(h.log_buckets(), vec![(8, 2), (16, 3), (4227, 4)]);
        h.record(MAX_VALUE);
        let b = h.log_buckets();
        // Past the last reporting level inside the counters: the last counter's top.
        assert_eq!(b.last(), Some(&(1_073_741, 5)));
        assert_eq!(b.len(), 4);
    }
}

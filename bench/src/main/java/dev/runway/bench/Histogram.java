package dev.runway.bench;

/**
 * A latency histogram in microseconds with log-linear buckets: exact below 128 µs, then 64 linear
 * sub-buckets per power of two, so a reported value is high by at most 1/64 (about 1.6%).
 * Not thread-safe: each connection keeps its own and they are merged at the end.
 */
final class Histogram {
  private static final int SUB = 128;
  private static final int MAGNITUDES = 40;
  private static final long CAP = (1L << (MAGNITUDES + 7)) - 1;
  private final long[] counts = new long[(MAGNITUDES + 1) * SUB];
  private long total;
  private long max;
  private long min = Long.MAX_VALUE;
  private double sum;

  void record(long micros) {
    long v = Math.max(0, Math.min(CAP, micros));
    counts[index(v)]++;
    total++;
    sum += v;
    if (v > max) {
      max = v;
    }
    if (v < min) {
      min = v;
    }
  }

  private static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int magnitude = 63 - Long.numberOfLeadingZeros(v) - 6; // >= 1 because v >= 128
    int sub = (int) (v >>> magnitude); // in [64, 128): the upper half of the magnitude's row
    return magnitude * SUB + sub;
  }

  /** The highest value that lands in bucket {@code i}. */
  private static long upper(int i) {
    int magnitude = i / SUB;
    int sub = i % SUB;
    if (magnitude == 0) {
      return sub;
    }
    return (((long) sub + 1) << magnitude) - 1;
  }

  void add(Histogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    sum += other.sum;
    max = Math.max(max, other.max);
    min = Math.min(min, other.min);
  }

  long count() {
    return total;
  }

  long max() {
    return total == 0 ? 0 : max;
  }

  double mean() {
    return total == 0 ? 0 : sum / total;
  }

  /** The value at percentile {@code p} (0..100), as the upper edge of its bucket, capped by max. */
  long percentile(double p) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(p / 100.0 * total);
    rank = Math.max(1, Math.min(total, rank));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.min(upper(i), max);
      }
    }
    return max;
  }
}

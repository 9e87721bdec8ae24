package dev.runway.ui;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last hour of the in-process meters the overview charts, sampled every {@link #INTERVAL}: no
 * Prometheus is needed to see the recent past. Counters are kept as running totals and turned into
 * per-interval increases when charted, so a missed sample loses no counts. At most one hour of
 * samples is kept (360 small maps).
 */
public final class MeterHistory {
  public static final Duration INTERVAL = Duration.ofSeconds(10);
  static final Duration WINDOW = Duration.ofHours(1);

  /**
   * A chart's meter: its name, the tag whose values become the series (null: one series named after
   * the meter), whether it is a counter (charted as increases) or a gauge, and tags the meters must
   * carry.
   */
  record Tracked(String chart, String meter, String tag, boolean counter, String... only) {}

  static final List<Tracked> TRACKED =
      List.of(
          new Tracked("webhooks", "runway.webhook.requests", "result", true),
          new Tracked("claims", "runway.claims", "result", true),
          new Tracked("redeliveries", "runway.redeliveries", "result", true),
          new Tracked("depth", "runway.spool.depth", null, false),
          new Tracked("depth", "runway.queue.depth", null, false),
          new Tracked("queued", "runway.jobs", "pool", false, "status", "queued"));

  /** One sample: per chart, per series, the value at {@code at}. */
  record Sample(Instant at, Map<String, Map<String, Double>> charts) {}

  private final MeterRegistry registry;
  private final Clock clock;
  private final Deque<Sample> samples = new ArrayDeque<>();

  public MeterHistory(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  /** Takes one sample; the wiring runs it every {@link #INTERVAL} on a {@code Poller}. */
  public void sample() {
    Map<String, Map<String, Double>> charts = new TreeMap<>();
    for (Tracked t : TRACKED) {
      Map<String, Double> series = charts.computeIfAbsent(t.chart(), k -> new TreeMap<>());
      if (t.counter()) {
        for (Counter c : registry.find(t.meter()).tags(t.only()).counters()) {
          series.merge(c.getId().getTag(t.tag()), c.count(), Double::sum);
        }
      } else {
        for (Gauge g : registry.find(t.meter()).tags(t.only()).gauges()) {
          String name =
              t.tag() == null
                  ? t.meter().replace("runway.", "").replace(".depth", "")
                  : g.getId().getTag(t.tag());
          series.merge(name, g.value(), Double::sum);
        }
      }
    }
    Instant now = clock.instant();
    synchronized (samples) {
      samples.addLast(new Sample(now, charts));
      while (!samples.isEmpty() && samples.peekFirst().at().isBefore(now.minus(WINDOW))) {
        samples.removeFirst();
      }
    }
  }

  List<Sample> samples() {
    synchronized (samples) {
      return new ArrayList<>(samples);
    }
  }

  /**
   * A chart's series over the window: counters as increases per interval, gauges as they were. Each
   * series has one value per sample; a series that appeared late starts at zero.
   */
  Series series(String chart) {
    List<Sample> all = samples();
    boolean counter = TRACKED.stream().anyMatch(t -> t.chart().equals(chart) && t.counter());
    Map<String, List<Double>> out = new TreeMap<>();
    List<Long> xs = new ArrayList<>();
    for (Sample s : all) {
      s.charts().getOrDefault(chart, Map.of()).keySet().forEach(k -> out.putIfAbsent(k, null));
    }
    out.replaceAll((k, v) -> new ArrayList<>());
    Sample prev = null;
    for (Sample s : all) {
      if (counter && prev == null) {
        prev = s;
        continue;
      }
      xs.add(s.at().getEpochSecond());
      Map<String, Double> now = s.charts().getOrDefault(chart, Map.of());
      Map<String, Double> before =
          prev == null ? Map.of() : prev.charts().getOrDefault(chart, Map.of());
      for (var e : out.entrySet()) {
        double v = now.getOrDefault(e.getKey(), 0.0);
        e.getValue().add(counter ? Math.max(0, v - before.getOrDefault(e.getKey(), 0.0)) : v);
      }
      prev = s;
    }
    return new Series(xs, out);
  }

  /** Points of one chart: seconds since the epoch, and per series one value per point. */
  record Series(List<Long> xs, Map<String, List<Double>> values) {}

  /**
   * Whether the spool has held deliveries for at least {@code span} without its depth going down:
   * the drainer is not getting them into the database.
   */
  boolean spoolStuck(Duration span) {
    List<Sample> all = samples();
    if (all.isEmpty()) {
      return false;
    }
    Instant end = all.get(all.size() - 1).at();
    List<Double> window = new ArrayList<>();
    boolean covers = false;
    for (Sample s : all) {
      if (!s.at().isAfter(end.minus(span))) {
        covers = true;
        window.clear();
      }
      window.add(s.charts().getOrDefault("depth", Map.of()).getOrDefault("spool", 0.0));
    }
    if (!covers || window.stream().anyMatch(d -> d == 0)) {
      return false;
    }
    for (int i = 1; i < window.size(); i++) {
      if (window.get(i) < window.get(i - 1)) {
        return false;
      }
    }
    return true;
  }
}

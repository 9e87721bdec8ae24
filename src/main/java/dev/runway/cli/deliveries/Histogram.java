package dev.runway.cli.deliveries;

import dev.runway.cli.UsageException;
import dev.runway.platform.github.DeliverySummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Counts delivery attempts grouped by some of their fields, so that the seed's {@code jq
 * 'group_by(...)'} pipeline is no longer needed.
 */
final class Histogram {

  /** The fields one can group by, in their JSON names. */
  static final Map<String, Function<DeliverySummary, Object>> FIELDS = fields();

  private final List<String> by;
  private final Map<List<Object>, Long> counts = new HashMap<>();

  /** A group and how many attempts fell into it; the key lists values in {@code by} order. */
  record Row(List<Object> key, long count) {}

  Histogram(List<String> by) {
    if (by.isEmpty()) {
      throw new UsageException("--by needs at least one field");
    }
    for (String field : by) {
      if (!FIELDS.containsKey(field)) {
        throw new UsageException(
            "--by " + field + ": unknown field; use any of " + String.join(",", FIELDS.keySet()));
      }
    }
    this.by = List.copyOf(by);
  }

  List<String> by() {
    return by;
  }

  void add(DeliverySummary delivery) {
    List<Object> key = by.stream().map(f -> FIELDS.get(f).apply(delivery)).toList();
    counts.merge(key, 1L, Long::sum);
  }

  /** Most frequent first; ties in the order of their key's text, so output is stable. */
  List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    counts.forEach((key, count) -> rows.add(new Row(key, count)));
    rows.sort(
        Comparator.comparingLong(Row::count)
            .reversed()
            .thenComparing(row -> row.key().stream().map(String::valueOf).toList().toString()));
    return rows;
  }

  private static Map<String, Function<DeliverySummary, Object>> fields() {
    Map<String, Function<DeliverySummary, Object>> fields = new LinkedHashMap<>();
    fields.put("event", DeliverySummary::event);
    fields.put("action", DeliverySummary::action);
    fields.put("status_code", DeliverySummary::statusCode);
    fields.put("status", DeliverySummary::status);
    fields.put("redelivery", DeliverySummary::redelivery);
    fields.put("installation_id", DeliverySummary::installationId);
    fields.put("repository_id", DeliverySummary::repositoryId);
    fields.put("guid", DeliverySummary::guid);
    fields.put("success", DeliverySummary::succeeded);
    return java.util.Collections.unmodifiableMap(fields);
  }
}

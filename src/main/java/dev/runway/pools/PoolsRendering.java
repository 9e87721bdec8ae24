package dev.runway.pools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders what a pool source sees, for {@code runway pools list}: a human table or JSON. Both forms
 * say so plainly when the source is unavailable, rather than printing an empty list.
 */
public final class PoolsRendering {

  private static final List<String> HEADER =
      List.of("NAME", "LABELS", "MAX RUNNERS", "RUNNER GROUP");

  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final Clock clock;

  public PoolsRendering(Clock clock) {
    this.clock = clock;
  }

  /**
   * A table of the pools, under one line naming the source and the snapshot's age, or a single line
   * {@code unavailable: REASON}.
   */
  public String table(PoolView view) {
    return view.fold(this::table, reason -> "unavailable: " + reason + "\n");
  }

  /**
   * JSON: {@code {"available":true,"source":..,"observedAt":..,"ageSeconds":..,"pools":[..]}} or
   * {@code {"available":false,"reason":..}}.
   */
  public String json(PoolView view) {
    ObjectNode root = view.fold(this::snapshot, this::unavailable);
    try {
      return json.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain nodes always serializes", e);
    }
  }

  private String table(PoolSnapshot snapshot) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(HEADER);
    for (Pool pool : snapshot.pools()) {
      rows.add(
          List.of(
              pool.name(),
              String.join(",", pool.labels()),
              pool.maxRunners() == null ? "-" : pool.maxRunners().toString(),
              Long.toString(pool.runnerGroupId())));
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "source %s, %d pool(s), observed at %s (%ds ago)%n",
            snapshot.source(),
            snapshot.pools().size(),
            snapshot.observedAt(),
            snapshot.age(clock).toSeconds()));
    int[] widths = widths(rows);
    for (List<String> row : rows) {
      for (int column = 0; column < row.size(); column++) {
        String cell = row.get(column);
        boolean last = column == row.size() - 1;
        out.append(last ? cell : String.format("%-" + widths[column] + "s  ", cell));
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static int[] widths(List<List<String>> rows) {
    int[] widths = new int[HEADER.size()];
    for (List<String> row : rows) {
      for (int column = 0; column < row.size(); column++) {
        widths[column] = Math.max(widths[column], row.get(column).length());
      }
    }
    return widths;
  }

  private ObjectNode unavailable(String reason) {
    ObjectNode root = json.createObjectNode();
    root.put("available", false);
    root.put("reason", reason);
    return root;
  }

  private ObjectNode snapshot(PoolSnapshot snapshot) {
    ObjectNode root = json.createObjectNode();
    root.put("available", true);
    root.put("source", snapshot.source());
    root.put("observedAt", snapshot.observedAt().toString());
    root.put("ageSeconds", snapshot.age(clock).toMillis() / 1000.0);
    ArrayNode pools = root.putArray("pools");
    for (Pool pool : snapshot.pools()) {
      ObjectNode node = pools.addObject();
      node.put("name", pool.name());
      pool.labels().forEach(node.putArray("labels")::add);
      if (pool.maxRunners() == null) {
        node.putNull("maxRunners");
      } else {
        node.put("maxRunners", pool.maxRunners());
      }
      node.put("runnerGroupId", pool.runnerGroupId());
    }
    return root;
  }
}

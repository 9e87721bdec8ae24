package dev.runway.pools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the pool fields shared by the pools file and the {@code RunnerPool} spec ({@code labels},
 * {@code maxRunners}, {@code runnerGroupId}) and reports every problem instead of the first, so an
 * operator fixes a file in one pass.
 */
final class PoolFields {

  static final String LABELS = "labels";
  static final String MAX_RUNNERS = "maxRunners";
  static final String RUNNER_GROUP_ID = "runnerGroupId";
  static final String RERUN_ON_RUNNER_LOSS = "rerunOnRunnerLoss";
  static final String PROVIDER = "provider";

  private PoolFields() {}

  /**
   * Builds the pool called {@code name} from {@code fields}, or adds to {@code problems} and
   * returns {@code null}.
   *
   * @param where how problems name the pool, e.g. {@code pools[2] (name "linux")}
   * @param labelsMayBeEmpty the pools file may declare a pool without labels; the CRD may not
   */
  static Pool read(
      String name, JsonNode fields, String where, boolean labelsMayBeEmpty, List<String> problems) {
    int before = problems.size();
    List<String> labels = labels(fields.get(LABELS), where, labelsMayBeEmpty, problems);
    Integer maxRunners = maxRunners(fields.get(MAX_RUNNERS), where, problems);
    long runnerGroupId = runnerGroupId(fields.get(RUNNER_GROUP_ID), where, problems);
    int reruns = rerunOnRunnerLoss(fields.get(RERUN_ON_RUNNER_LOSS), where, problems);
    JsonNode providerNode = fields.get(PROVIDER);
    ProviderSpec provider =
        providerNode == null || providerNode.isNull()
            ? null
            : ProviderSpec.read(providerNode, where, problems);
    if (problems.size() > before) {
      return null;
    }
    try {
      return new Pool(name, labels, maxRunners, runnerGroupId, reruns, provider);
    } catch (IllegalArgumentException e) {
      problems.add(where + ": " + e.getMessage());
      return null;
    }
  }

  /** Adds a problem for each key of {@code fields} outside {@code allowed}: catches typos. */
  static void rejectUnknownKeys(
      JsonNode fields, Set<String> allowed, String where, List<String> problems) {
    for (Iterator<String> keys = fields.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!allowed.contains(key)) {
        problems.add(where + ": unknown key \"" + key + "\" (allowed: " + allowed + ")");
      }
    }
  }

  private static List<String> labels(
      JsonNode node, String where, boolean mayBeEmpty, List<String> problems) {
    if (node == null || node.isNull()) {
      problems.add(where + ": labels is required (a list of strings)");
      return List.of();
    }
    if (!node.isArray()) {
      problems.add(where + ": labels must be a list of strings");
      return List.of();
    }
    List<String> labels = new ArrayList<>();
    for (JsonNode label : node) {
      if (!label.isTextual() || label.asText().isBlank()) {
        problems.add(where + ": every label must be a non-blank string, got " + label);
      } else {
        labels.add(label.asText().trim());
      }
    }
    if (labels.isEmpty() && !mayBeEmpty) {
      problems.add(where + ": labels must list at least one label");
    }
    return labels;
  }

  private static Integer maxRunners(JsonNode node, String where, List<String> problems) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1) {
      problems.add(where + ": maxRunners must be an integer of at least 1, got " + node);
      return null;
    }
    return node.intValue();
  }

  private static int rerunOnRunnerLoss(JsonNode node, String where, List<String> problems) {
    if (node == null || node.isNull()) {
      return 0;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
      problems.add(where + ": rerunOnRunnerLoss must be an integer of at least 0, got " + node);
      return 0;
    }
    return node.intValue();
  }

  private static long runnerGroupId(JsonNode node, String where, List<String> problems) {
    if (node == null || node.isNull()) {
      return Pool.DEFAULT_RUNNER_GROUP_ID;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 1) {
      problems.add(where + ": runnerGroupId must be an integer of at least 1, got " + node);
      return Pool.DEFAULT_RUNNER_GROUP_ID;
    }
    return node.longValue();
  }
}

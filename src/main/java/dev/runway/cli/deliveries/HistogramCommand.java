package dev.runway.cli.deliveries;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.cli.Output;
import dev.runway.cli.UsageException;
import dev.runway.redelivery.DeliveryFilter;
import dev.runway.redelivery.DeliveryScanner;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code runway deliveries histogram}: delivery attempts counted by some of their fields. */
@Command(
    name = "histogram",
    description = "Count the App's delivery attempts grouped by fields, most frequent first.",
    mixinStandardHelpOptions = true)
final class HistogramCommand extends DeliveriesSubcommand {

  @Mixin FilterMixin filters;

  @Option(
      names = "--status",
      paramLabel = "success|failure",
      converter = Converters.StatusConverter.class,
      description = "Only successful or only failed attempts.")
  DeliveryFilter.Status status;

  @Option(
      names = "--by",
      paramLabel = "FIELDS",
      split = ",",
      defaultValue = "event,action,status_code",
      description =
          "Fields to group by (default: ${DEFAULT-VALUE}); any of event, action, status_code,"
              + " status, redelivery, installation_id, repository_id, guid, success.")
  List<String> by;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "10000",
      description = "Count at most N deliveries (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--format",
      paramLabel = "table|json",
      defaultValue = "table",
      converter = Converters.FormatConverter.class,
      description = "table (default) or json (an array of objects with the fields and count).")
  OutputFormat format;

  @Override
  int run() {
    if (limit < 1) {
      throw new UsageException("--limit must be at least 1");
    }
    Histogram histogram = new Histogram(by);
    DeliveryFilter filter = filters.filter(now(), status);
    DeliveryScanner.Result result =
        new DeliveryScanner(client(), filters.parallelism(), progress())
            .scan(filter, limit, histogram::add);
    endProgress();
    if (format == OutputFormat.TABLE) {
      printTable(histogram);
    } else {
      printJson(histogram);
    }
    if (result.limitReached()) {
      err()
          .println(
              "counted the first " + limit + " deliveries only; raise --limit or narrow --since");
    }
    return ok();
  }

  private void printTable(Histogram histogram) {
    List<String> headers = new ArrayList<>();
    histogram.by().forEach(field -> headers.add(field.toUpperCase(java.util.Locale.ROOT)));
    headers.add("COUNT");
    List<List<Object>> rows = new ArrayList<>();
    for (Histogram.Row row : histogram.rows()) {
      List<Object> cells = new ArrayList<>(row.key());
      cells.add(row.count());
      rows.add(cells);
    }
    Output.table(out(), headers, rows);
  }

  private void printJson(Histogram histogram) {
    ArrayNode rows = json.createArrayNode();
    for (Histogram.Row row : histogram.rows()) {
      ObjectNode object = rows.addObject();
      for (int i = 0; i < histogram.by().size(); i++) {
        object.set(histogram.by().get(i), json.valueToTree(row.key().get(i)));
      }
      object.put("count", row.count());
    }
    try {
      out()
          .println(
              format == OutputFormat.NDJSON
                  ? ndjson(rows)
                  : json.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String ndjson(ArrayNode rows) {
    StringBuilder lines = new StringBuilder();
    rows.forEach(row -> lines.append(lines.length() == 0 ? "" : "\n").append(row));
    return lines.toString();
  }
}

package dev.runway.cli.deliveries;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.runway.cli.Output;
import dev.runway.cli.UsageException;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.redelivery.DeliveryFilter;
import dev.runway.redelivery.DeliveryScanner;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code runway deliveries list}: the App's delivery attempts that pass the filters. */
@Command(
    name = "list",
    description = "List the App's webhook delivery attempts, newest first.",
    mixinStandardHelpOptions = true)
final class ListCommand extends DeliveriesSubcommand {

  @Mixin FilterMixin filters;

  @Option(
      names = "--status",
      paramLabel = "success|failure",
      converter = Converters.StatusConverter.class,
      description = "Only successful or only failed attempts.")
  DeliveryFilter.Status status;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "200",
      description = "Print at most N deliveries (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--format",
      paramLabel = "json|ndjson|table",
      defaultValue = "json",
      converter = Converters.FormatConverter.class,
      description = "json (an array, default), ndjson (one per line as they arrive), table.")
  OutputFormat format;

  @Override
  int run() {
    if (limit < 1) {
      throw new UsageException("--limit must be at least 1");
    }
    DeliveryFilter filter = filters.filter(now(), status);
    DeliveryScanner scanner = new DeliveryScanner(client(), filters.parallelism(), progress());
    List<DeliverySummary> collected = new ArrayList<>();
    Consumer<DeliverySummary> sink =
        format == OutputFormat.NDJSON ? this::printLine : collected::add;
    DeliveryScanner.Result result = scanner.scan(filter, limit, sink);
    endProgress();
    switch (format) {
      case JSON -> printJson(collected);
      case TABLE -> printTable(collected);
      case NDJSON -> {}
    }
    if (result.limitReached()) {
      err().println("stopped at --limit " + limit + "; more deliveries may match");
    }
    return ok();
  }

  private void printLine(DeliverySummary delivery) {
    try {
      out().println(json.writeValueAsString(delivery));
      out().flush();
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void printJson(List<DeliverySummary> deliveries) {
    try {
      out().println(json.writerWithDefaultPrettyPrinter().writeValueAsString(deliveries));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void printTable(List<DeliverySummary> deliveries) {
    Output.table(
        out(),
        List.of("ID", "DELIVERED_AT", "GUID", "EVENT", "ACTION", "CODE", "REDELIVERY", "STATUS"),
        deliveries.stream()
            .map(
                d ->
                    Arrays.asList(
                        d.id(),
                        d.deliveredAt(),
                        d.guid(),
                        d.event(),
                        d.action(),
                        d.statusCode(),
                        d.redelivery(),
                        d.status()))
            .toList());
  }
}

package dev.runway.cli.deliveries;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.platform.github.DeliveryDetail;
import java.io.UncheckedIOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code runway deliveries show ID}: one attempt with its request and response. */
@Command(
    name = "show",
    description =
        "Show one delivery attempt with its request headers and payload and the response;"
            + " secret-looking headers are redacted.",
    mixinStandardHelpOptions = true)
final class ShowCommand extends DeliveriesSubcommand {

  @Parameters(paramLabel = "ID", description = "The delivery (attempt) id.")
  long id;

  @Override
  int run() {
    DeliveryDetail detail = client().getDelivery(id);
    ObjectNode redacted = HeaderRedactor.redact(json.valueToTree(detail));
    try {
      out().println(json.writerWithDefaultPrettyPrinter().writeValueAsString(redacted));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return ok();
  }
}

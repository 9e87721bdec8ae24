package dev.runway.ui;

import dev.runway.ingest.inbox.InboxRepository.InboxEntry;
import dev.runway.platform.github.GitHubException;
import dev.runway.redelivery.RedeliveryRepository.Listed;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The deliveries page and its redeliver action (as {@code runway deliveries redeliver ID}). */
final class DeliveriesPage extends Page {
  private static final Logger log = LoggerFactory.getLogger(DeliveriesPage.class);

  DeliveriesPage(OperatorUi.Sources src, Templates templates) {
    super(src, templates);
  }

  void deliveries(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Deliveries", "deliveries");
    List<InboxEntry> entries =
        inbox.list(src.ds(), src.clock().instant().minus(Duration.ofDays(3)), 200);
    List<Listed> records;
    try (Connection c = src.ds().getConnection()) {
      records = redeliveries.list(c, 200);
    }
    ctx.html(
        templates.render(
            "deliveries.jte",
            new Views.DeliveriesPage(frame, entries, records, src.github().isPresent())));
  }

  void redeliver(Context ctx, UiSessions.Session s) {
    long deliveryId;
    try {
      deliveryId = Long.parseLong(String.valueOf(ctx.formParam("delivery_id")));
    } catch (NumberFormatException e) {
      ctx.status(400).contentType("text/plain").result("delivery_id must be a number");
      return;
    }
    if (src.github().isEmpty()) {
      s.flash = "No GitHub App is configured, so nothing can be redelivered from here.";
    } else {
      try {
        src.github().get().redeliver(deliveryId);
        log.info("operator {} redelivered delivery {}", s.operator, deliveryId);
        s.flash = "GitHub accepted the redelivery of delivery " + deliveryId + ".";
      } catch (GitHubException e) {
        log.info(
            "operator {}: redelivery of {} failed: {}", s.operator, deliveryId, e.getMessage());
        s.flash =
            "GitHub refused the redelivery of delivery "
                + deliveryId
                + ": "
                + String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
      }
    }
    UiAuth.seeOther(ctx, "/ui/deliveries");
  }
}

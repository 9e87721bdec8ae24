package dev.runway.platform.github;

import java.util.List;
import java.util.Optional;

/**
 * One page of {@code GET /app/hook/deliveries}, newest first.
 *
 * @param deliveries the attempts on this page
 * @param nextCursor the cursor of the next page; empty on the last page
 */
public record DeliveryPage(List<DeliverySummary> deliveries, Optional<String> nextCursor) {
  public DeliveryPage {
    deliveries = List.copyOf(deliveries);
  }
}

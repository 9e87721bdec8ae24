package dev.runway.platform.http;

import io.javalin.config.RoutesConfig;
import java.util.function.Consumer;

/**
 * The route tables of the two listeners.
 *
 * @param publicPort what GitHub and runner agents call
 * @param management what operators and Prometheus call
 */
public record Listeners(RoutesConfig publicPort, RoutesConfig management) {
  /** Registers routes that every listener serves (health), once when the listeners are one. */
  public void both(Consumer<RoutesConfig> routes) {
    routes.accept(publicPort);
    if (management != publicPort) {
      routes.accept(management);
    }
  }
}

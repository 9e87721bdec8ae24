package dev.runway.ingest.webhook;

import dev.runway.ingest.spool.Spool;
import dev.runway.platform.db.DatabaseHealth;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz} (the process answers) and {@code /readyz} (this replica takes webhooks), on
 * every listener: a load balancer asks the public one, operators the management one.
 */
public final class HealthRoutes implements HttpRoutes {
  private final BooleanSupplier ready;
  private final DatabaseHealth health;
  private final Spool spool;
  private final JsonResponses out;

  /** {@code ready} is false until the intake exists and once the service is stopping. */
  public HealthRoutes(
      BooleanSupplier ready, DatabaseHealth health, Spool spool, JsonResponses out) {
    this.ready = ready;
    this.health = health;
    this.spool = spool;
    this.out = out;
  }

  @Override
  public void register(Listeners listeners) {
    listeners.both(
        routes -> {
          routes.get("/healthz", ctx -> out.send(ctx, 200, Map.of("status", "alive")));
          routes.get(
              "/readyz",
              ctx -> {
                boolean isReady = ready.getAsBoolean();
                out.send(
                    ctx,
                    isReady ? 200 : 503,
                    Map.of(
                        "status", isReady ? "ready" : "not ready",
                        "database", health.isUp() ? "up" : "down",
                        "spool_depth", spool.depth()));
              });
        });
  }
}

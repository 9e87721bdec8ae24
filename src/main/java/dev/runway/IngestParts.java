package dev.runway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.ingest.inbox.DeliveriesApi;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.spool.Spool;
import dev.runway.ingest.webhook.DeliveryWriter;
import dev.runway.ingest.webhook.HealthRoutes;
import dev.runway.ingest.webhook.Intake;
import dev.runway.ingest.webhook.Payloads;
import dev.runway.ingest.webhook.SignatureVerifier;
import dev.runway.ingest.webhook.SpoolDrainer;
import dev.runway.ingest.webhook.WebhookHandler;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.DatabaseHealth;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.telemetry.Metrics;
import java.io.IOException;
import java.time.Clock;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest side: the spool, the intake that stores each webhook delivery (in the inbox, or the
 * spool when the database is late or down), the drain that replays the spool once the database
 * answers, and their routes (the webhook, health, the deliveries API). Each part it starts is
 * pushed on the stop stack. Ingest names no dispatch class: what to hand the stored GUIDs to, and
 * what to wake, {@link Runway} passes in.
 */
final class IngestParts {
  private static final Logger log = LoggerFactory.getLogger(IngestParts.class);

  private final RunwayConfig config;
  private final Deque<AutoCloseable> stack;
  final InboxRepository inbox = new InboxRepository();
  final DatabaseHealth health = new DatabaseHealth();
  final Spool spool;
  final Payloads payloads;
  // Set once dispatch runs (see startDrain); until then a commit has nothing to wake.
  private final AtomicReference<Runnable> wake = new AtomicReference<>(() -> {});
  // Set once the intake exists; until then (and while stopping) this replica takes no webhooks.
  private volatile Intake intake;

  /** Opens the spool, the first thing the ingest side needs: it takes deliveries the DB cannot. */
  IngestParts(RunwayConfig config, Deque<AutoCloseable> stack, ObjectMapper json)
      throws IOException {
    this.config = config;
    this.stack = stack;
    this.spool = new Spool(config.spoolDir(), config.spoolMaxBytes());
    stack.push(spool);
    log.info("spool in {}", config.spoolDir().toAbsolutePath());
    this.payloads = new Payloads(json);
  }

  /** Starts the intake on the database's small intake pool; it takes webhooks from now on. */
  Intake intake(Database db, DeliveryWriter.Handoff handoff, Metrics metrics) {
    Intake started =
        new Intake(
            db.intake(),
            inbox,
            health,
            spool,
            config.intakeBudget(),
            handoff,
            () -> wake.get().run(),
            metrics.registry());
    intake = started;
    stack.push(() -> started.close(config.shutdownGrace()));
    return started;
  }

  /** Whether the intake exists and takes deliveries (the redelivery reconciler waits for it). */
  boolean ready() {
    Intake i = intake;
    return i != null && i.ready();
  }

  /**
   * Starts the spool drain, once the database answers and dispatch runs; from now on the intake's
   * commits and the drain's replays wake dispatch at once through {@code wakeDispatch}.
   */
  void startDrain(Database db, DeliveryWriter.Handoff handoff, Runnable wakeDispatch) {
    wake.set(wakeDispatch);
    SpoolDrainer drainer =
        new SpoolDrainer(spool, db.main(), inbox, payloads, health, handoff, wakeDispatch);
    drainer.start(config.drainInterval());
    stack.push(drainer);
  }

  /** The spool's meters (depth, bytes), read from memory. */
  void registerMeters(Metrics metrics) {
    SpoolDrainer.registerMeters(metrics, spool);
  }

  /** The webhook's route on the public listener. */
  HttpRoutes webhook(Intake intake, Metrics metrics, ObjectMapper json, Clock clock) {
    return new WebhookHandler(
        new SignatureVerifier(config.webhookSecrets()),
        payloads,
        intake,
        metrics,
        json,
        clock,
        config.webhookBodyTimeout(),
        config.webhookUnverifiedMemory(),
        config.dataDir().resolve("unverified"));
  }

  /** {@code /healthz} and {@code /readyz}: ready while not stopping and the intake takes work. */
  HttpRoutes health(BooleanSupplier stopping, JsonResponses out) {
    return new HealthRoutes(() -> !stopping.getAsBoolean() && ready(), health, spool, out);
  }

  /** {@code GET /api/v1/deliveries} on the management listener. */
  HttpRoutes deliveriesApi(Database db, JsonResponses out) {
    return new DeliveriesApi(db.main(), inbox, out);
  }
}

package dev.runway.platform.telemetry;

import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.Listeners;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The service's meters. Names here are contracts (see README): dashboards and alerts rely on them,
 * so they change only with a note in the docs.
 */
public final class Metrics implements HttpRoutes {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Counter> webhookCounters = new ConcurrentHashMap<>();
  private final Map<String, Timer> ackTimers = new ConcurrentHashMap<>();

  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Counts one webhook request as {@code runway_webhook_requests_total{event,result}} and records
   * its acknowledgement latency in {@code runway_webhook_ack_seconds{result}}.
   */
  public void webhookRequest(String event, String result, long nanos) {
    webhookCounters
        .computeIfAbsent(
            event + '\u0000' + result,
            k ->
                Counter.builder("runway.webhook.requests")
                    .description("Webhook requests by event and result")
                    .tag("event", event)
                    .tag("result", result)
                    .register(registry))
        .increment();
    ackTimers
        .computeIfAbsent(
            result,
            k ->
                Timer.builder("runway.webhook.ack")
                    .description("Time from the start of a webhook request to its answer")
                    .tag("result", result)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry))
        .record(Duration.ofNanos(nanos));
  }

  /**
   * Counts one settled delivery as {@code runway_dispatch_outcomes_total{action,outcome}} and
   * records how long it took from receipt to settlement in {@code runway_dispatch_latency_seconds}.
   */
  public void dispatchOutcome(String action, String outcome, Duration sinceReceived) {
    counter(
            "runway.dispatch.outcomes",
            "Settled deliveries by workflow_job action and outcome",
            "action",
            action == null ? "none" : action,
            "outcome",
            outcome)
        .increment();
    if (!sinceReceived.isNegative()) {
      dispatchLatency.record(sinceReceived);
    }
  }

  private final Timer dispatchLatency =
      Timer.builder("runway.dispatch.latency")
          .description("Time from a delivery's receipt to its settled dispatch outcome")
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofHours(1))
          .register(registry);

  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  /** A counter with a fixed set of tag pairs, cached so the hot path allocates little. */
  public Counter counter(String name, String description, String... tags) {
    return counters.computeIfAbsent(
        name + '\u0000' + String.join("\u0000", tags),
        k -> Counter.builder(name).description(description).tags(tags).register(registry));
  }

  /** Registers a gauge whose value comes from {@code value}; it must be cheap and never block. */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  /** {@code /metrics}, for Prometheus, on the management listener. */
  @Override
  public void register(Listeners listeners) {
    listeners
        .management()
        .get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(scrape()));
  }
}

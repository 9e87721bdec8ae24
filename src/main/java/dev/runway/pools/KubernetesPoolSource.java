package dev.runway.pools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pools from {@code RunnerPool} custom resources ({@code runway.dev/v1alpha1}) in one namespace
 * ({@code RUNWAY_POOLS=kubernetes:NAMESPACE}), read through a fabric8 {@link SharedIndexInformer}.
 *
 * <p>The informer lists once, then watches, and keeps a local store of the resources. {@link
 * #current()} reads only that store, so no request to the API server ever runs on the dispatch
 * path, and an API server that stalls cannot stall dispatch.
 *
 * <ul>
 *   <li>Before the first list completes, {@link #current()} is {@link PoolView.Unavailable} ("not
 *       yet synced with the Kubernetes API"), never an empty snapshot.
 *   <li>{@link #start()} does not wait for the API server. The informer retries in the background
 *       with fabric8's exponential backoff, forever, whatever the error.
 *   <li>Once synced, the store keeps serving when the API server goes away. The snapshot's {@code
 *       observedAt} is the last time the informer was known to be in sync: each event, and each
 *       health check (every 5 s by default) that finds the watch open, moves it forward. {@code
 *       runway_pool_snapshot_age_seconds{source="kubernetes"}} therefore grows during an outage.
 *   <li>A resource whose spec is invalid (no labels, {@code maxRunners} below 1, ...) is left out
 *       of the snapshot, logged at WARN and counted in {@code
 *       runway_pool_source_errors_total{source="kubernetes",reason="invalid_spec"}} each time it is
 *       added or changed. The other pools keep working.
 * </ul>
 *
 * <p>Thread safety: the informer's threads write its store and {@code lastHealthy}; {@link
 * #current()} reads them from any thread. The client is not closed by this class unless it was
 * created by {@link PoolSources}.
 */
public final class KubernetesPoolSource implements PoolSource {

  /** The {@code RunnerPool} resource, as {@code deploy/crd/runnerpool.yaml} defines it. */
  public static final ResourceDefinitionContext RUNNER_POOLS =
      new ResourceDefinitionContext.Builder()
          .withGroup("runway.dev")
          .withVersion("v1alpha1")
          .withPlural("runnerpools")
          .withKind("RunnerPool")
          .withNamespaced(true)
          .build();

  /** Default time between two checks that the informer's watch is still open. */
  public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(5);

  static final String NOT_SYNCED = "not yet synced with the Kubernetes API";

  private static final Logger log = LoggerFactory.getLogger(KubernetesPoolSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final String namespace;
  private final Duration healthCheckInterval;
  private final Clock clock;
  private final AutoCloseable closeClient;
  private final PoolSourceMetrics metrics;
  private final ScheduledExecutorService healthChecker;
  private final CompletableFuture<Void> firstAvailable = new CompletableFuture<>();

  private volatile SharedIndexInformer<GenericKubernetesResource> informer;
  private volatile Instant lastHealthy;

  private volatile boolean closed;

  // Confined to the health-check thread.
  private boolean seenWatching;
  private boolean lossReported;

  /** A source on the system clock, checking the watch every 5 s; the caller owns the client. */
  public KubernetesPoolSource(KubernetesClient client, String namespace, MeterRegistry registry) {
    this(client, namespace, registry, DEFAULT_HEALTH_CHECK_INTERVAL, Clock.systemUTC());
  }

  /** The caller owns {@code client} and closes it after this source. */
  public KubernetesPoolSource(
      KubernetesClient client,
      String namespace,
      MeterRegistry registry,
      Duration healthCheckInterval,
      Clock clock) {
    this(client, namespace, registry, healthCheckInterval, clock, () -> {});
  }

  KubernetesPoolSource(
      KubernetesClient client,
      String namespace,
      MeterRegistry registry,
      Duration healthCheckInterval,
      Clock clock,
      AutoCloseable closeClient) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.healthCheckInterval = Objects.requireNonNull(healthCheckInterval, "healthCheckInterval");
    if (healthCheckInterval.isNegative() || healthCheckInterval.isZero()) {
      throw new IllegalArgumentException(
          "healthCheckInterval must be positive, got " + healthCheckInterval);
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.closeClient = closeClient;
    this.healthChecker =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "runway-pools-kubernetes-health");
              thread.setDaemon(true);
              return thread;
            });
    this.metrics = new PoolSourceMetrics(registry, "kubernetes", this::current, clock);
  }

  /**
   * Creates and starts the informer, then returns without waiting for the API server: {@code
   * SharedIndexInformer.start()} is asynchronous, and the first list completes (or keeps retrying)
   * in the background.
   */
  @Override
  public synchronized void start() {
    if (informer != null) {
      return;
    }
    SharedIndexInformer<GenericKubernetesResource> created =
        client.genericKubernetesResources(RUNNER_POOLS).inNamespace(namespace).runnableInformer(0);
    // fabric8 already logs each failed attempt at WARN; keep retrying whatever went wrong, since
    // a pool source that gives up turns every later delivery into a retry until restart.
    created.exceptionHandler(
        (wasStarted, error) -> {
          metrics.error("api_error");
          return true;
        });
    created.addEventHandler(new Events());
    informer = created;
    created
        .start()
        .whenComplete(
            (ignored, error) -> {
              if (error == null) {
                markHealthy();
                log.info(
                    "synced with the Kubernetes API: {} RunnerPool(s) in namespace {}",
                    created.getStore().list().size(),
                    namespace);
              } else if (!closed) {
                log.warn(
                    "RunnerPool informer for namespace {} stopped: {}",
                    namespace,
                    error.toString());
              }
            });
    long interval = healthCheckInterval.toNanos();
    healthChecker.scheduleWithFixedDelay(
        this::checkHealth, interval, interval, TimeUnit.NANOSECONDS);
    log.info("watching RunnerPools in namespace {} at {}", namespace, client.getMasterUrl());
  }

  @Override
  public PoolView current() {
    SharedIndexInformer<GenericKubernetesResource> current = informer;
    if (current == null) {
      return new PoolView.Unavailable(describe() + " is not started");
    }
    if (!current.hasSynced()) {
      return new PoolView.Unavailable(NOT_SYNCED + " (RunnerPools in namespace " + namespace + ")");
    }
    Instant observedAt = lastHealthy;
    List<Pool> pools = new ArrayList<>();
    for (GenericKubernetesResource resource : current.getStore().list()) {
      toPool(resource).ifPresent(pools::add);
    }
    // observedAt is null only when the sync completed a moment ago, before its callback ran.
    return new PoolView.Available(
        new PoolSnapshot(pools, observedAt != null ? observedAt : clock.instant(), describe()));
  }

  /** The client this source watches with; a provisioner of the same namespace shares it. */
  public KubernetesClient client() {
    return client;
  }

  public String namespace() {
    return namespace;
  }

  /**
   * The {@code RunnerPool} resources as last synced (the informer's store, no API request), or
   * empty before the first sync: unknown, not "no pools".
   */
  public Optional<List<GenericKubernetesResource>> resources() {
    SharedIndexInformer<GenericKubernetesResource> current = informer;
    if (current == null || !current.hasSynced()) {
      return Optional.empty();
    }
    return Optional.of(current.getStore().list());
  }

  @Override
  public PoolView awaitAvailable(Duration timeout) throws InterruptedException {
    try {
      firstAvailable.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // The view says why it is unavailable.
    }
    return current();
  }

  @Override
  public String describe() {
    return "kubernetes:" + namespace;
  }

  @Override
  public synchronized void close() {
    closed = true;
    healthChecker.shutdownNow();
    SharedIndexInformer<GenericKubernetesResource> current = informer;
    if (current != null) {
      current.close();
    }
    metrics.close();
    try {
      closeClient.close();
    } catch (Exception e) {
      log.warn("closing the Kubernetes client failed", e);
    }
  }

  /** The pool a resource describes, or empty when its spec is invalid. */
  static Optional<Pool> toPool(GenericKubernetesResource resource) {
    try {
      return Optional.of(parse(resource));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Reads a {@code RunnerPool}: the pool's name is {@code metadata.name}; {@code spec.labels} is
   * required and non-empty, {@code spec.maxRunners} optional, {@code spec.runnerGroupId} defaults
   * to 1. Unknown spec fields are ignored, as the API server's structural schema would prune them.
   *
   * @throws IllegalArgumentException naming every problem of the spec
   */
  static Pool parse(GenericKubernetesResource resource) {
    String name = resource.getMetadata() == null ? null : resource.getMetadata().getName();
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("RunnerPool without metadata.name");
    }
    Object spec = resource.getAdditionalProperties().get("spec");
    if (!(spec instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("RunnerPool " + name + ": spec is missing");
    }
    JsonNode fields = JSON.valueToTree(spec);
    List<String> problems = new ArrayList<>();
    Pool pool = PoolFields.read(name, fields, "RunnerPool " + name, false, problems);
    if (pool == null) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return pool;
  }

  private void markHealthy() {
    lastHealthy = clock.instant();
    SharedIndexInformer<GenericKubernetesResource> current = informer;
    if (current != null && current.hasSynced()) {
      firstAvailable.complete(null);
    }
  }

  /** Runs on its own thread; never throws, so that the schedule keeps running. */
  private void checkHealth() {
    try {
      SharedIndexInformer<GenericKubernetesResource> current = informer;
      boolean watching = current != null && current.hasSynced() && current.isWatching();
      if (watching) {
        markHealthy();
      }
      logWatchChange(watching);
    } catch (RuntimeException e) {
      log.warn("RunnerPool health check failed; will check again", e);
    }
  }

  /**
   * Logs losing and regaining the watch once each. Failures before the first sync are already
   * logged by fabric8's reflector on every attempt.
   */
  private void logWatchChange(boolean watching) {
    if (watching) {
      if (lossReported) {
        log.info("watching RunnerPools in namespace {} again", namespace);
      }
      seenWatching = true;
      lossReported = false;
    } else if (seenWatching && !lossReported) {
      lossReported = true;
      log.warn(
          "lost the RunnerPool watch in namespace {}; serving the pools last synced at {}",
          namespace,
          lastHealthy);
    }
  }

  /** Counts and logs invalid resources once per change; runs on the informer's event thread. */
  private final class Events implements ResourceEventHandler<GenericKubernetesResource> {

    @Override
    public void onAdd(GenericKubernetesResource resource) {
      changed(resource);
    }

    @Override
    public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource resource) {
      changed(resource);
    }

    @Override
    public void onDelete(GenericKubernetesResource resource, boolean finalStateUnknown) {
      markHealthy();
    }

    private void changed(GenericKubernetesResource resource) {
      markHealthy();
      try {
        parse(resource);
      } catch (IllegalArgumentException e) {
        metrics.error("invalid_spec");
        log.warn("skipping invalid RunnerPool in namespace {}: {}", namespace, e.getMessage());
      } catch (RuntimeException e) {
        log.warn("could not read a RunnerPool in namespace {}", namespace, e);
      }
    }
  }
}

// Over 400 lines because the informer, the validation of each RunnerPool and the status it writes
// back are one lifecycle of one resource.
package dev.runway.pools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.platform.config.PodPolicy;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 *   <li>A resource whose spec is invalid (no labels, {@code maxRunners} below 1, a template that
 *       {@link PodTemplatePolicy} refuses, ...) is never dropped: unknown is not empty.
 *       <ul>
 *         <li>If an earlier version of it (same uid) was valid, that version keeps serving: its
 *             pool keeps matching jobs and the provisioner keeps using its template.
 *         <li>If it was never valid, it is in the snapshot's {@link PoolSnapshot#unknown()}: a job
 *             that matches no readable pool is retried, not {@code no_pools} or {@code
 *             no_matching_pool}, until the resource is fixed or deleted.
 *       </ul>
 *       Either way it is logged at WARN and counted in {@code
 *       runway_pool_source_errors_total{source="kubernetes",reason="invalid_spec"}} once per change
 *       of its spec, {@code runway_pool_invalid{pool}} is 1 while it lasts, and {@link #entries()}
 *       carries the problem, which the provisioner writes to the resource's {@code Valid}
 *       condition.
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
  private final PodTemplatePolicy policy;

  /** What was made of each resource's latest version, by uid (name when it has none). */
  private final Map<String, Judged> judged = new ConcurrentHashMap<>();

  private volatile Set<String> invalidNames = Set.of();

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
    this(
        client,
        namespace,
        registry,
        healthCheckInterval,
        clock,
        () -> {},
        new PodTemplatePolicy(PodPolicy.RESTRICTED));
  }

  /** As above, judging templates by {@code policy}. */
  public KubernetesPoolSource(
      KubernetesClient client,
      String namespace,
      MeterRegistry registry,
      Duration healthCheckInterval,
      Clock clock,
      PodTemplatePolicy policy) {
    this(client, namespace, registry, healthCheckInterval, clock, () -> {}, policy);
  }

  KubernetesPoolSource(
      KubernetesClient client,
      String namespace,
      MeterRegistry registry,
      Duration healthCheckInterval,
      Clock clock,
      AutoCloseable closeClient,
      PodTemplatePolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
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
    Map<String, String> unknown = new HashMap<>();
    for (GenericKubernetesResource resource : current.getStore().list()) {
      Judged j = judge(resource);
      if (j.pool() != null) {
        pools.add(j.pool());
      } else {
        unknown.put(resource.getMetadata().getName(), j.problem());
      }
    }
    // observedAt is null only when the sync completed a moment ago, before its callback ran.
    return new PoolView.Available(
        new PoolSnapshot(
            pools, observedAt != null ? observedAt : clock.instant(), describe(), unknown));
  }

  /**
   * One {@code RunnerPool} as the provisioner should see it.
   *
   * @param latest the resource as last synced, to write its status against
   * @param served the version that serves: {@code latest} when it is valid, else the last valid
   *     version, null when there never was one
   * @param problem why {@code latest} is invalid, empty when it is valid
   */
  public record Entry(
      GenericKubernetesResource latest,
      GenericKubernetesResource served,
      Optional<String> problem) {
    public String name() {
      return latest.getMetadata().getName();
    }
  }

  /**
   * Every {@code RunnerPool} as last synced (the informer's store, no API request), with the
   * version that serves and its problem; empty before the first sync: unknown, not "no pools".
   */
  public Optional<List<Entry>> entries() {
    SharedIndexInformer<GenericKubernetesResource> current = informer;
    if (current == null || !current.hasSynced()) {
      return Optional.empty();
    }
    List<Entry> out = new ArrayList<>();
    for (GenericKubernetesResource resource : current.getStore().list()) {
      Judged j = judge(resource);
      out.add(new Entry(resource, j.served(), Optional.ofNullable(j.problem())));
    }
    return Optional.of(out);
  }

  /** The client this source watches with; a provisioner of the same namespace shares it. */
  public KubernetesClient client() {
    return client;
  }

  public String namespace() {
    return namespace;
  }

  /**
   * The {@code RunnerPool} resources that serve (for each, its latest valid version), or empty
   * before the first sync: unknown, not "no pools".
   */
  public Optional<List<GenericKubernetesResource>> resources() {
    return entries()
        .map(list -> list.stream().map(Entry::served).filter(Objects::nonNull).toList());
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

  /**
   * What was made of one resource version: {@code served} and {@code pool} are the last valid
   * version (null when there never was one), {@code problem} why {@code latest} is invalid.
   */
  private record Judged(
      GenericKubernetesResource latest,
      GenericKubernetesResource served,
      Pool pool,
      String problem) {}

  /**
   * Judges a resource's latest version, once per change of its spec: a status write or a label
   * change keeps the verdict, so it is neither parsed nor counted again.
   */
  private Judged judge(GenericKubernetesResource resource) {
    boolean[] changed = {false};
    Judged j =
        judged.compute(
            key(resource),
            (key, previous) -> {
              if (previous != null
                  && Objects.equals(spec(previous.latest()), spec(resource))
                  && Objects.equals(
                      previous.latest().getMetadata().getName(),
                      resource.getMetadata().getName())) {
                return previous.latest() == resource
                    ? previous
                    : new Judged(resource, previous.served(), previous.pool(), previous.problem());
              }
              changed[0] = true;
              try {
                return new Judged(resource, resource, validate(resource), null);
              } catch (IllegalArgumentException e) {
                metrics.error("invalid_spec");
                boolean kept = previous != null && previous.pool() != null;
                log.warn(
                    "invalid RunnerPool {} in namespace {} ({}): {}",
                    resource.getMetadata().getName(),
                    namespace,
                    kept ? "keeping its last valid version" : "never valid; matching jobs wait",
                    e.getMessage());
                return kept
                    ? new Judged(resource, previous.served(), previous.pool(), e.getMessage())
                    : new Judged(resource, null, null, e.getMessage());
              }
            });
    if (changed[0]) {
      refreshInvalid();
    }
    return j;
  }

  /** The spec fields and, when it has a template, what {@link PodTemplatePolicy} says of it. */
  private Pool validate(GenericKubernetesResource resource) {
    Pool pool = parse(resource);
    Object template = ((Map<?, ?>) spec(resource)).get("template");
    if (template != null) {
      List<String> problems = policy.check(template);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "RunnerPool "
                + pool.name()
                + ": template refused by RUNWAY_POD_POLICY="
                + policy.level().label()
                + ": "
                + String.join("; ", problems));
      }
    }
    return pool;
  }

  private static Object spec(GenericKubernetesResource resource) {
    return resource.getAdditionalProperties().get("spec");
  }

  private static String key(GenericKubernetesResource resource) {
    String uid = resource.getMetadata() == null ? null : resource.getMetadata().getUid();
    return uid != null ? uid : "name:" + resource.getMetadata().getName();
  }

  private void forget(GenericKubernetesResource resource) {
    if (judged.remove(key(resource)) != null) {
      refreshInvalid();
    }
  }

  /** Keeps {@code runway_pool_invalid{pool}} to the pools whose latest version is invalid. */
  private synchronized void refreshInvalid() {
    Set<String> now = new TreeSet<>();
    judged.values().stream()
        .filter(j -> j.problem() != null)
        .forEach(j -> now.add(j.latest().getMetadata().getName()));
    if (!now.equals(invalidNames)) {
      invalidNames = Set.copyOf(now);
      metrics.invalidPools(now);
    }
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

  /** Judges each change as it arrives; runs on the informer's event thread. */
  private final class Events implements ResourceEventHandler<GenericKubernetesResource> {

    @Override
    public void onAdd(GenericKubernetesResource resource) {
      markHealthy();
      judge(resource);
    }

    @Override
    public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource resource) {
      markHealthy();
      judge(resource);
    }

    @Override
    public void onDelete(GenericKubernetesResource resource, boolean finalStateUnknown) {
      markHealthy();
      forget(resource);
    }
  }
}

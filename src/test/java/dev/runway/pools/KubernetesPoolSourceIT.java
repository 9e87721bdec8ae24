package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the source against fabric8's mock API server in CRUD mode: a real HTTP server that keeps
 * resources and serves list and watch, so the informer does exactly what it does in a cluster.
 */
class KubernetesPoolSourceIT {

  private static final String NAMESPACE = "ci";
  private static final CustomResourceDefinitionContext RUNNER_POOL_CRD =
      new CustomResourceDefinitionContext.Builder()
          .withName("runnerpools.runway.dev")
          .withGroup("runway.dev")
          .withVersion("v1alpha1")
          .withPlural("runnerpools")
          .withKind("RunnerPool")
          .withScope("Namespaced")
          .build();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
  private KubernetesPoolSource source;

  @AfterEach
  void tearDown() throws Exception {
    if (source != null) {
      source.close();
    }
    while (!cleanup.isEmpty()) {
      cleanup.pop().close();
    }
  }

  @Test
  void is_unavailable_not_empty_before_it_is_started() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    source = newSource(clientFor(server.getPort()));

    assertThat(source.current())
        .isInstanceOfSatisfying(
            PoolView.Unavailable.class,
            unavailable -> assertThat(unavailable.reason()).contains("is not started"));
  }

  @Test
  void sees_a_pool_added_changed_and_deleted() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    KubernetesClient client = clientFor(server.getPort());
    source = started(client);
    await().until(() -> source.current() instanceof PoolView.Available);

    runnerPools(client).resource(runnerPool("macos", spec(List.of("macOS", "ARM64"), 2))).create();
    await()
        .untilAsserted(
            () ->
                assertThat(pools())
                    .containsExactly(new Pool("macos", List.of("macOS", "ARM64"), 2, 1)));

    runnerPools(client)
        .withName("macos")
        .edit(
            pool -> {
              pool.setAdditionalProperty("spec", spec(List.of("macOS", "ARM64", "xcode-16"), 4));
              return pool;
            });
    await()
        .untilAsserted(
            () ->
                assertThat(pools())
                    .containsExactly(
                        new Pool("macos", List.of("macOS", "ARM64", "xcode-16"), 4, 1)));

    runnerPools(client).withName("macos").delete();
    await().untilAsserted(() -> assertThat(pools()).isEmpty());
  }

  @Test
  void zero_runner_pools_after_sync_is_an_answer_with_no_pools() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    source = started(clientFor(server.getPort()));

    await().until(() -> source.current() instanceof PoolView.Available);

    assertThat(pools()).isEmpty();
    assertThat(PoolMatcher.match(List.of("linux"), pools())).isEqualTo(new MatchResult.NoPools());
    assertThat(gauge("runway.pools")).isZero();
    assertThat(gauge("runway.pool.source.available")).isEqualTo(1);
  }

  @Test
  void keeps_serving_the_last_snapshot_when_the_api_server_goes_away() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    KubernetesClient client = clientFor(server.getPort());
    runnerPools(client).resource(runnerPool("linux", spec(List.of("linux", "x64"), null))).create();
    source = started(client);
    await().untilAsserted(() -> assertThat(pools()).hasSize(1));
    await().until(() -> gauge("runway.pool.snapshot.age.seconds") < 0.5);

    server.destroy();

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> gauge("runway.pool.snapshot.age.seconds") >= 1.5);
    assertThat(pools()).containsExactly(new Pool("linux", List.of("linux", "x64")));
    assertThat(PoolMatcher.match(List.of("self-hosted", "x64"), pools()))
        .isEqualTo(new MatchResult.Matched(new Pool("linux", List.of("linux", "x64"))));
  }

  @Test
  void follows_changes_again_once_the_api_server_comes_back() throws IOException {
    int port = freePort();
    KubernetesMockServer server = startServer(port);
    KubernetesClient client = clientFor(port);
    runnerPools(client).resource(runnerPool("old", spec(List.of("linux"), null))).create();
    source = started(client);
    await().untilAsserted(() -> assertThat(pools()).extracting(Pool::name).containsExactly("old"));

    server.destroy();
    await().until(() -> gauge("runway.pool.snapshot.age.seconds") >= 0.5);
    KubernetesMockServer replacement = startServer(port);
    // Fresh again once the health check finds the watch re-established.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> gauge("runway.pool.snapshot.age.seconds") < 0.5);
    runnerPools(clientFor(replacement.getPort()))
        .resource(runnerPool("new", spec(List.of("linux"), null)))
        .create();

    // A real API server would also replay or relist what changed while it was away; a new mock
    // server has no such history, so only the event sent after the reconnect is checked.
    await().untilAsserted(() -> assertThat(pools()).extracting(Pool::name).contains("new"));
  }

  @Test
  void an_api_server_never_reached_leaves_it_unavailable_and_start_returns_promptly() {
    int closedPort = freePort();
    source = newSource(clientFor(closedPort));

    long startedAt = System.nanoTime();
    source.start();

    assertThat(Duration.ofNanos(System.nanoTime() - startedAt)).isLessThan(Duration.ofSeconds(2));
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(
            () ->
                assertThat(source.current())
                    .isInstanceOfSatisfying(
                        PoolView.Unavailable.class,
                        unavailable ->
                            assertThat(unavailable.reason())
                                .startsWith(KubernetesPoolSource.NOT_SYNCED)));
    assertThat(gauge("runway.pool.source.available")).isZero();
    assertThat(gauge("runway.pools")).isNaN();
    assertThat(gauge("runway.pool.snapshot.age.seconds")).isNaN();
    assertThat(errors("api_error")).isPositive();
  }

  @Test
  void becomes_available_once_an_unreachable_api_server_comes_up() throws IOException {
    int port = freePort();
    source = started(clientFor(port));
    assertThat(source.current()).isInstanceOf(PoolView.Unavailable.class);

    KubernetesMockServer server = startServer(port);
    runnerPools(clientFor(server.getPort()))
        .resource(runnerPool("gpu", spec(List.of("gpu"), 1)))
        .create();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> assertThat(pools()).containsExactly(new Pool("gpu", List.of("gpu"), 1, 1)));
  }

  @Test
  void skips_a_runner_pool_with_an_invalid_spec_and_counts_it() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    KubernetesClient client = clientFor(server.getPort());
    runnerPools(client).resource(runnerPool("good", spec(List.of("linux"), null))).create();
    runnerPools(client).resource(runnerPool("no-labels", spec(List.of(), null))).create();
    runnerPools(client).resource(runnerPool("zero-cap", spec(List.of("linux"), 0))).create();
    runnerPools(client)
        .resource(
            new GenericKubernetesResourceBuilder()
                .withApiVersion("runway.dev/v1alpha1")
                .withKind("RunnerPool")
                .withNewMetadata()
                .withName("no-spec")
                .withNamespace(NAMESPACE)
                .endMetadata()
                .build())
        .create();

    source = started(client);

    await()
        .untilAsserted(
            () -> assertThat(pools()).containsExactly(new Pool("good", List.of("linux"))));
    await().untilAsserted(() -> assertThat(errors("invalid_spec")).isEqualTo(3));
  }

  @Test
  void an_invalid_edit_keeps_the_last_valid_version_and_reports_it() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    KubernetesClient client = clientFor(server.getPort());
    runnerPools(client).resource(runnerPool("linux", spec(List.of("linux"), 2))).create();
    source = started(client);
    await()
        .untilAsserted(
            () -> assertThat(pools()).containsExactly(new Pool("linux", List.of("linux"), 2, 1)));
    assertThat(registry.find("runway.pool.invalid").gauges()).isEmpty();

    runnerPools(client)
        .withName("linux")
        .edit(
            pool -> {
              pool.setAdditionalProperty("spec", spec(List.of("linux", "gpu"), 0));
              return pool;
            });

    await().untilAsserted(() -> assertThat(errors("invalid_spec")).isEqualTo(1));
    assertThat(pools())
        .as("the last valid version keeps serving")
        .containsExactly(new Pool("linux", List.of("linux"), 2, 1));
    assertThat(snapshot().unknown()).isEmpty();
    assertThat(invalidGauge("linux")).isEqualTo(1);
    KubernetesPoolSource.Entry entry = source.entries().orElseThrow().get(0);
    assertThat(entry.problem()).hasValueSatisfying(p -> assertThat(p).contains("maxRunners"));
    assertThat(entry.served().getAdditionalProperties().get("spec"))
        .isEqualTo(spec(List.of("linux"), 2));

    runnerPools(client)
        .withName("linux")
        .edit(
            pool -> {
              pool.setAdditionalProperty("spec", spec(List.of("linux", "gpu"), 3));
              return pool;
            });
    await()
        .untilAsserted(
            () ->
                assertThat(pools())
                    .containsExactly(new Pool("linux", List.of("linux", "gpu"), 3, 1)));
    assertThat(registry.find("runway.pool.invalid").gauges()).isEmpty();
    assertThat(source.entries().orElseThrow().get(0).problem()).isEmpty();
  }

  @Test
  void every_pool_invalid_is_unknown_not_an_answer_of_no_pools() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    KubernetesClient client = clientFor(server.getPort());
    runnerPools(client).resource(runnerPool("no-labels", spec(List.of(), null))).create();
    runnerPools(client).resource(runnerPool("zero-cap", spec(List.of("linux"), 0))).create();
    source = started(client);

    await().untilAsserted(() -> assertThat(snapshot().unknown()).hasSize(2));
    assertThat(pools()).isEmpty();
    assertThat(snapshot().unknown().get("zero-cap")).contains("maxRunners");
    assertThat(invalidGauge("no-labels")).isEqualTo(1);
    assertThat(invalidGauge("zero-cap")).isEqualTo(1);

    runnerPools(client).withName("zero-cap").delete();
    await().untilAsserted(() -> assertThat(snapshot().unknown()).containsOnlyKeys("no-labels"));
    assertThat(registry.find("runway.pool.invalid").tag("pool", "zero-cap").gauge()).isNull();
  }

  @Test
  void a_template_the_pod_policy_refuses_keeps_the_last_valid_template() throws IOException {
    KubernetesMockServer server = startServer(freePort());
    KubernetesClient client = clientFor(server.getPort());
    Map<String, Object> good = spec(List.of("linux"), null);
    good.put("template", template(Map.of()));
    runnerPools(client).resource(runnerPool("linux", good)).create();
    source = started(client);
    await().untilAsserted(() -> assertThat(pools()).hasSize(1));

    Map<String, Object> privileged = spec(List.of("linux"), null);
    privileged.put("template", template(Map.of("hostNetwork", true)));
    runnerPools(client)
        .withName("linux")
        .edit(
            pool -> {
              pool.setAdditionalProperty("spec", privileged);
              return pool;
            });

    await().untilAsserted(() -> assertThat(invalidGauge("linux")).isEqualTo(1));
    KubernetesPoolSource.Entry entry = source.entries().orElseThrow().get(0);
    assertThat(entry.problem())
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("RUNWAY_POD_POLICY=restricted")
                    .contains("hostNetwork is not allowed"));
    assertThat(entry.served().getAdditionalProperties().get("spec")).isEqualTo(good);
    assertThat(source.resources().orElseThrow())
        .singleElement()
        .satisfies(r -> assertThat(r.getAdditionalProperties().get("spec")).isEqualTo(good));
  }

  /** A template that passes {@code restricted}, with {@code extra} Pod spec fields. */
  private static Map<String, Object> template(Map<String, Object> extra) {
    Map<String, Object> podSpec = new LinkedHashMap<>();
    podSpec.put("securityContext", Map.of("runAsNonRoot", true, "runAsUser", 1001));
    podSpec.put("containers", List.of(Map.of("name", "runner", "image", "runner:1")));
    podSpec.putAll(extra);
    return Map.of("spec", podSpec);
  }

  private PoolSnapshot snapshot() {
    assertThat(source.current()).isInstanceOf(PoolView.Available.class);
    return ((PoolView.Available) source.current()).snapshot();
  }

  private double invalidGauge(String pool) {
    var gauge =
        registry.find("runway.pool.invalid").tags("source", "kubernetes", "pool", pool).gauge();
    return gauge == null ? 0 : gauge.value();
  }

  private KubernetesPoolSource started(KubernetesClient client) {
    KubernetesPoolSource started = newSource(client);
    started.start();
    return started;
  }

  private KubernetesPoolSource newSource(KubernetesClient client) {
    return new KubernetesPoolSource(
        client, NAMESPACE, registry, Duration.ofMillis(100), Clock.systemUTC());
  }

  private KubernetesMockServer startServer(int port) {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(List.of(RUNNER_POOL_CRD)),
            false);
    server.start(InetAddress.getLoopbackAddress(), port);
    cleanup.push(server::destroy);
    return server;
  }

  /** A client with short retry intervals, so that recovery is quick enough to wait for. */
  private KubernetesClient clientFor(int port) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + port)
            .withNamespace(NAMESPACE)
            .withWatchReconnectInterval(100)
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(1_000)
            .withRequestTimeout(2_000)
            .withHttp2Disable(true)
            .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    cleanup.push(client);
    return client;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static NonNamespaceOperation<
          GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      runnerPools(KubernetesClient client) {
    return client
        .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NAMESPACE);
  }

  private static GenericKubernetesResource runnerPool(String name, Map<String, Object> spec) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("runway.dev/v1alpha1")
        .withKind("RunnerPool")
        .withNewMetadata()
        .withName(name)
        .withNamespace(NAMESPACE)
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  private static Map<String, Object> spec(List<String> labels, Integer maxRunners) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("labels", labels);
    if (maxRunners != null) {
      spec.put("maxRunners", maxRunners);
    }
    return spec;
  }

  private List<Pool> pools() {
    assertThat(source.current()).isInstanceOf(PoolView.Available.class);
    return ((PoolView.Available) source.current()).snapshot().pools();
  }

  private double gauge(String name) {
    return registry.get(name).tag("source", "kubernetes").gauge().value();
  }

  private double errors(String reason) {
    Counter counter =
        registry
            .find("runway.pool.source.errors")
            .tags("source", "kubernetes", "reason", reason)
            .counter();
    return counter == null ? 0 : counter.count();
  }
}

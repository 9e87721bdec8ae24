package dev.runway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.pools.KubernetesPoolSource;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident's second half: the Kubernetes API stalls. Dispatch must keep matching from the
 * informer's last snapshot, and before any snapshot it must retry, never report {@code no_pools}.
 */
class KubernetesDispatchIT {
  static final String NS = "runners";
  static final CustomResourceDefinitionContext CRD =
      new CustomResourceDefinitionContext.Builder()
          .withName("runnerpools.runway.dev")
          .withGroup("runway.dev")
          .withVersion("v1alpha1")
          .withPlural("runnerpools")
          .withKind("RunnerPool")
          .withScope("Namespaced")
          .build();

  @TempDir Path dir;
  final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
  RunwayHarness svc;

  @AfterEach
  void tearDown() throws Exception {
    if (svc != null) {
      svc.close();
    }
    while (!cleanup.isEmpty()) {
      cleanup.pop().close();
    }
  }

  KubernetesMockServer server(int port) {
    return server(port, new KubernetesCrudDispatcher(List.of(CRD)));
  }

  /** A mock API server keeping its resources in {@code store}, so a restart keeps them too. */
  KubernetesMockServer server(int port, KubernetesCrudDispatcher store) {
    KubernetesMockServer s =
        new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), store, false);
    s.start(InetAddress.getLoopbackAddress(), port);
    cleanup.push(s::destroy);
    return s;
  }

  KubernetesClient client(int port) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + port)
            .withNamespace(NS)
            .withWatchReconnectInterval(100)
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(1_000)
            .withRequestTimeout(2_000)
            .withHttp2Disable(true)
            .build();
    KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
    cleanup.push(c);
    return c;
  }

  static GenericKubernetesResource pool(String name, List<String> labels) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("runway.dev/v1alpha1")
        .withKind("RunnerPool")
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", Map.of("labels", labels, "maxRunners", 4)))
        .build();
  }

  void createPool(KubernetesClient c, String name, List<String> labels) {
    c.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .resource(pool(name, labels))
        .create();
  }

  RunwayHarness start(KubernetesClient client) throws Exception {
    RunwayHarness h =
        RunwayHarness.start(
            dir, TestDatabases.fresh(), Map.of("RUNWAY_POOLS", "kubernetes:" + NS), () -> client);
    h.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent) values ('acme', 4242, true, 10)");
    return h;
  }

  String send(long job) throws Exception {
    String guid = UUID.randomUUID().toString();
    assertThat(
            svc.post("workflow_job", guid, Signed.workflowJob("queued", job, "linux", "x64"))
                .statusCode())
        .isEqualTo(202);
    return guid;
  }

  @Test
  void with_the_api_server_gone_after_sync_dispatch_matches_from_the_last_snapshot()
      throws Exception {
    int port = ServiceProcess.freePort();
    KubernetesMockServer api = server(port);
    KubernetesClient c = client(port);
    createPool(c, "linux-x64", List.of("linux", "x64"));
    svc = start(c);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.metric("runway_pools{source=\"kubernetes\"}") == 1);

    api.destroy();
    List<String> guids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      guids.add(send(7000 + i));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where guid = any(?) and outcome is not null",
                        (Object) guids.toArray(new String[0]))
                    == 5);
    assertThat(
            svc.count(
                "select count(*) from jobs where job_id between 7000 and 7004 and pool = 'linux-x64' and outcome is null"))
        .isEqualTo(5);
    assertThat(svc.metric("runway_pool_snapshot_age_seconds{source=\"kubernetes\"}")).isPositive();
  }

  @Test
  void with_the_api_server_never_reachable_deliveries_retry_and_dispatch_once_it_comes_up()
      throws Exception {
    int port = ServiceProcess.freePort();
    KubernetesClient c = client(port);
    svc = start(c);
    List<String> guids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      guids.add(send(8000 + i));
    }
    // Unknown is not empty: while the source cannot answer, nothing settles, least of all no_pools.
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where outcome is not null and guid like '%-%' and workflow_job_id between 8000 and 8002")
                    == 0);
    assertThat(
            svc.count(
                "select count(*) from inbox where workflow_job_id between 8000 and 8002 and dispatch_attempts >= 2"))
        .isPositive();

    server(port);
    createPool(c, "linux-x64", List.of("linux", "x64"));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id between 8000 and 8002 and pool = 'linux-x64'")
                    == 3);
    assertThat(svc.count("select count(*) from inbox where outcome = 'no_pools'")).isZero();
    assertThat(svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"no_pools\"}"))
        .isZero();
    assertThat(svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"queued\"}"))
        .isEqualTo(3);
  }

  static GenericKubernetesResource invalidPool(String name, List<String> labels) {
    GenericKubernetesResource r = pool(name, labels);
    r.setAdditionalProperty("spec", Map.of("labels", labels, "maxRunners", 0));
    return r;
  }

  @Test
  void with_every_runner_pool_invalid_deliveries_retry_and_never_become_no_pools()
      throws Exception {
    int port = ServiceProcess.freePort();
    server(port);
    KubernetesClient c = client(port);
    var pools = c.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS).inNamespace(NS);
    pools.resource(invalidPool("linux-x64", List.of("linux", "x64"))).create();
    pools.resource(invalidPool("gpu", List.of("gpu"))).create();
    svc = start(c);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.metric("runway_pool_invalid{pool=\"gpu\",source=\"kubernetes\"}") == 1);
    List<String> guids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      guids.add(send(9000 + i));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where workflow_job_id between 9000 and 9002 and dispatch_attempts >= 2")
                    == 3);
    assertThat(svc.count("select count(*) from inbox where outcome is not null")).isZero();
    assertThat(svc.count("select count(*) from jobs where job_id between 9000 and 9002")).isZero();

    // Fixed: the jobs it was for go to it, and none was ever no_pools.
    pools
        .withName("linux-x64")
        .edit(
            p -> {
              p.setAdditionalProperty(
                  "spec",
                  pool("linux-x64", List.of("linux", "x64")).getAdditionalProperties().get("spec"));
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id between 9000 and 9002 and pool = 'linux-x64'")
                    == 3);
    assertThat(
            svc.count(
                "select count(*) from inbox where outcome in ('no_pools', 'no_matching_pool')"))
        .isZero();
    assertThat(svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"no_pools\"}"))
        .isZero();
    assertThat(svc.metric("runway_pool_invalid{pool=\"linux-x64\",source=\"kubernetes\"}"))
        .isZero();
  }

  @Test
  void a_deleted_or_renamed_runner_pool_has_its_claimable_jobs_re_matched() throws Exception {
    int port = ServiceProcess.freePort();
    server(port);
    KubernetesClient c = client(port);
    createPool(c, "old", List.of("linux", "x64"));
    svc = start(c);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
    send(9200);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> svc.count("select count(*) from jobs where job_id = 9200 and pool = 'old'") == 1);

    // A rename is a delete and a create.
    c.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName("old")
        .delete();
    createPool(c, "linux-x64", List.of("linux", "x64"));

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id = 9200 and pool = 'linux-x64' and outcome is null"
                            + " and outcome_detail = 'pool old is no longer listed; re-matched to pool linux-x64'")
                    == 1);

    c.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName("linux-x64")
        .delete();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id = 9200 and outcome = 'no_pools' and pool is null")
                    == 1);
  }

  @Test
  void an_invalid_edit_of_a_pool_keeps_dispatching_to_its_last_valid_version() throws Exception {
    int port = ServiceProcess.freePort();
    server(port);
    KubernetesClient c = client(port);
    createPool(c, "linux-x64", List.of("linux", "x64"));
    svc = start(c);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
    c.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName("linux-x64")
        .edit(
            p -> {
              p.setAdditionalProperty(
                  "spec",
                  invalidPool("linux-x64", List.of("linux", "x64"))
                      .getAdditionalProperties()
                      .get("spec"));
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> svc.metric("runway_pool_invalid{pool=\"linux-x64\",source=\"kubernetes\"}") == 1);

    send(9100);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id = 9100 and pool = 'linux-x64' and outcome is null")
                    == 1);
    assertThat(svc.metric("runway_pools{source=\"kubernetes\"}")).isEqualTo(1);
  }

  @Test
  void
      with_the_api_server_stopped_in_the_middle_of_a_stream_every_delivery_is_dispatched_from_the_snapshot()
          throws Exception {
    int port = ServiceProcess.freePort();
    KubernetesCrudDispatcher store = new KubernetesCrudDispatcher(List.of(CRD));
    KubernetesMockServer api = server(port, store);
    KubernetesClient c = client(port);
    createPool(c, "linux-x64", List.of("linux", "x64"));
    svc = start(c);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> svc.metric("runway_pools{source=\"kubernetes\"}") == 1);

    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger sent =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CompletableFuture<Void> stream =
        java.util.concurrent.CompletableFuture.runAsync(
            () -> {
              try {
                while (!done.get()) {
                  send(20_000 + sent.getAndIncrement());
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    int outage = Integer.getInteger("drill.min", 60);
    await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() >= 20);
    api.destroy();
    int atStop = sent.get();
    await().atMost(Duration.ofMinutes(5)).until(() -> sent.get() >= atStop + outage);
    server(port, store); // the API server comes back with what it had
    await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() >= atStop + outage + 20);
    done.set(true);
    stream.get();

    int total = sent.get();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                svc.count(
                        "select count(*) from jobs where job_id >= 20000 and pool = 'linux-x64' and outcome is null")
                    == total);
    assertThat(svc.count("select count(*) from inbox where outcome = 'no_pools'")).isZero();
    assertThat(svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"no_pools\"}"))
        .isZero();
    long stored = svc.count("select count(*) from inbox where workflow_job_id >= 20000");
    System.out.printf(
        "DRILL kubernetes-outage acknowledged=%d non2xx=0 stored=%d via_spool=0 jobs=%d lost=%d duplicated=%d during_outage=%d%n",
        total, stored, total, total - stored, stored - total, outage);
  }
}

package dev.runway.provisioner;

import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.MutableClock;
import dev.runway.platform.github.RecordingSleeper;
import dev.runway.platform.github.TestKeys;
import dev.runway.pools.KubernetesPoolSource;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.ServiceProcess;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
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
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Runway with a {@code kubernetes:} pool source against fabric8's mock API server in CRUD mode,
 * WireMock as the App's GitHub, and a movable clock; the test plays the kubelet by writing Pod
 * statuses, and GitHub by sending {@code workflow_job} webhooks.
 */
final class ProvisionerBed implements AutoCloseable {
  static final String NS = "runners";
  static final String APP_ID = "31337";
  static final long ACME = 4242;
  static final long GLOBEX = 4343;
  static final String JIT = "UFJPVklTSU9ORVItSklULUNPTkZJRw==";
  static final String RUNWAY_AGENT = "runway-under-test";
  static final TestKeys KEYS = TestKeys.generate();
  static final CustomResourceDefinitionContext CRD =
      new CustomResourceDefinitionContext.Builder()
          .withName("runnerpools.runway.dev")
          .withGroup("runway.dev")
          .withVersion("v1alpha1")
          .withPlural("runnerpools")
          .withKind("RunnerPool")
          .withScope("Namespaced")
          .withStatusSubresource(true)
          .build();

  final MutableClock clock = MutableClock.startingNow();
  final GitHubStub github = GitHubStub.start(APP_ID, KEYS, clock, "");
  final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher(List.of(CRD));
  final int port = ServiceProcess.freePort();
  final KubernetesClient kube;
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
  private final Path dir;
  private final Map<String, String> env = new HashMap<>();
  private final String jdbcUrl;
  KubernetesMockServer api;
  RunwayHarness svc;

  ProvisionerBed(Path dir, Map<String, String> overrides) throws Exception {
    this.dir = dir;
    this.jdbcUrl = TestDatabases.fresh();
    logs.start();
    root().addAppender(logs);
    startApi();
    kube = client();
    env.put(RunwayConfig.GITHUB_APP_ID, APP_ID);
    env.put(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, KEYS.writePkcs1(dir, "app.pem").toString());
    env.put(RunwayConfig.GITHUB_API_URL, github.apiUrl().toString());
    env.put(RunwayConfig.POOLS, "kubernetes:" + NS);
    env.put(RunwayConfig.CLAIM_REAP_INTERVAL, "1s");
    env.put(RunwayConfig.PROVISIONER_INTERVAL, "200ms");
    env.putAll(overrides);
    github.stubInstallationToken(ACME);
    github.stubInstallationToken(GLOBEX);
    github.stubOrgJitConfig("acme", 1, JIT);
    github.stubOrgJitConfig("globex", 2, JIT);
    // GitHub's filtered runner list shows nothing unless a test says otherwise; a runner it does
    // not show is judged by its own record (GET .../runners/{id}, 404 unless stubbed).
    for (String org : List.of("acme", "globex")) {
      github
          .server()
          .stubFor(
              get(urlPathEqualTo("/orgs/" + org + "/actions/runners"))
                  .atPriority(10)
                  .willReturn(GitHubStub.jsonResponse(200, "{\"total_count\":0,\"runners\":[]}")));
    }
    startRunway();
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** (Re)starts the mock API server on the same port, with the same resources. */
  void startApi() {
    api =
        new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), store, false);
    api.start(InetAddress.getLoopbackAddress(), port);
  }

  void stopApi() {
    api.destroy();
  }

  KubernetesClient client() {
    return client("runway-test-kubelet");
  }

  /** A client whose requests carry {@code userAgent}: Runway's are told apart from the test's. */
  KubernetesClient client(String userAgent) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + port)
            .withNamespace(NS)
            .withWatchReconnectInterval(100)
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(1_000)
            .withRequestTimeout(2_000)
            .withHttp2Disable(true)
            .withUserAgent(userAgent)
            .build();
    KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
    cleanup.push(c);
    return c;
  }

  /** Starts a Runway (again, after {@link #stopRunway}) on the same database and API server. */
  void startRunway() throws Exception {
    KubernetesClient own = client(RUNWAY_AGENT);
    svc = RunwayHarness.start(dir, jdbcUrl, env, clock, new RecordingSleeper(clock), () -> own);
  }

  /** Another replica on the same database, API server and GitHub, with a spool of its own. */
  RunwayHarness replica(Path replicaDir) throws Exception {
    KubernetesClient own = client(RUNWAY_AGENT);
    Map<String, String> replicaEnv = new HashMap<>(env);
    replicaEnv.put(
        RunwayConfig.GITHUB_PRIVATE_KEY_FILE, KEYS.writePkcs1(replicaDir, "app.pem").toString());
    return RunwayHarness.start(
        replicaDir, jdbcUrl, replicaEnv, clock, new RecordingSleeper(clock), () -> own);
  }

  long logLines(String text) {
    synchronized (logs.list) {
      return logs.list.stream().filter(e -> e.getFormattedMessage().contains(text)).count();
    }
  }

  void stopRunway() {
    svc.close();
    svc = null;
  }

  void account(String login, long installationId, int maxConcurrent) throws SQLException {
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values (?, ?, true, ?)",
        login,
        installationId,
        maxConcurrent);
  }

  /** A provisioned pool: a template with a {@code runner} container, and {@code extra} spec. */
  void pool(String name, List<String> labels, Map<String, Object> extra) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("labels", labels);
    spec.put(
        "template",
        Map.of(
            "metadata",
            Map.of("labels", Map.of("team", "ci")),
            "spec",
            Map.of(
                // RUNWAY_POD_POLICY=restricted (the default) asks a template for a non-root user.
                "securityContext",
                Map.of("runAsNonRoot", true, "runAsUser", 1001),
                "containers",
                List.of(
                    Map.of(
                        "name", "runner",
                        "image", "ghcr.io/actions/actions-runner:latest",
                        "command", List.of("/home/runner/run.sh"))))));
    spec.putAll(extra);
    GenericKubernetesResource r =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("runway.dev/v1alpha1")
            .withKind("RunnerPool")
            .withNewMetadata()
            .withName(name)
            .withNamespace(NS)
            .endMetadata()
            .withAdditionalProperties(Map.of("spec", spec))
            .build();
    kube.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .resource(r)
        .create();
  }

  GenericKubernetesResource poolResource(String name) {
    return kube.genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName(name)
        .get();
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> condition(String pool, String type) {
    Object status = poolResource(pool).getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> list)) {
      return Map.of();
    }
    return list.stream()
        .map(o -> (Map<String, Object>) o)
        .filter(c -> type.equals(c.get("type")))
        .findFirst()
        .orElse(Map.of());
  }

  /** Sends a {@code workflow_job} delivery for an organisation repository of {@code owner}. */
  void event(String action, long jobId, String owner, long inst, String runner, String... labels)
      throws Exception {
    String conclusion = action.equals("completed") ? "success" : null;
    String body = Signed.workflowJob(action, jobId, 1, owner, inst, runner, conclusion, labels);
    int status = svc.post("workflow_job", UUID.randomUUID().toString(), body).statusCode();
    if (status / 100 != 2) {
      throw new IllegalStateException("delivery answered " + status);
    }
  }

  List<Pod> pods() {
    return kube.pods().inNamespace(NS).list().getItems();
  }

  List<Pod> pods(String pool) {
    return kube.pods().inNamespace(NS).withLabel("runway.dev/pool", pool).list().getItems();
  }

  Map<String, Pod> podsByName() {
    return pods().stream().collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p));
  }

  static long claimOf(Pod pod) {
    return Long.parseLong(pod.getMetadata().getLabels().get("runway.dev/claim"));
  }

  long jobOf(long claimId) throws SQLException {
    return svc.count("select job_id from claims where id = ?", claimId);
  }

  String state(long claimId) throws SQLException {
    return svc.text(
        "select state || coalesce(':' || state_reason, '') from claims where id = ?", claimId);
  }

  // The kubelet.

  void running(Pod pod) {
    status(
        pod,
        new PodStatusBuilder()
            .withPhase("Running")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("runner")
                    .withState(new ContainerStateBuilder().withNewRunning().endRunning().build())
                    .build())
            .build());
  }

  void waiting(Pod pod, String reason) {
    status(
        pod,
        new PodStatusBuilder()
            .withPhase("Pending")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("runner")
                    .withState(
                        new ContainerStateBuilder()
                            .withNewWaiting()
                            .withReason(reason)
                            .withMessage("Back-off pulling image")
                            .endWaiting()
                            .build())
                    .build())
            .build());
  }

  void terminated(Pod pod, int exitCode) {
    status(
        pod,
        new PodStatusBuilder()
            .withPhase(exitCode == 0 ? "Succeeded" : "Failed")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("runner")
                    .withState(
                        new ContainerStateBuilder()
                            .withNewTerminated()
                            .withExitCode(exitCode)
                            .endTerminated()
                            .build())
                    .build())
            .build());
  }

  void unschedulable(Pod pod) {
    status(
        pod,
        new PodStatusBuilder()
            .withPhase("Pending")
            .withConditions(
                new PodConditionBuilder()
                    .withType("PodScheduled")
                    .withStatus("False")
                    .withReason("Unschedulable")
                    .build())
            .build());
  }

  private void status(Pod pod, PodStatus status) {
    Pod current = kube.pods().inNamespace(NS).withName(pod.getMetadata().getName()).get();
    current.setStatus(status);
    kube.pods().inNamespace(NS).resource(current).updateStatus();
  }

  // GitHub's runner registrations.

  /** Answers the lookup of runner {@code runway-<pool>-<claim>} and its deletion. */
  void stubRegistration(String org, String pool, long claimId) {
    long runnerId = 100_000 + claimId;
    String name = "runway-" + pool + "-" + claimId;
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/" + org + "/actions/runners"))
                .withQueryParam("name", equalTo(name))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "{\"total_count\":1,\"runners\":[{\"id\":"
                            + runnerId
                            + ",\"name\":\""
                            + name
                            + "\",\"status\":\"offline\",\"busy\":false}]}")));
    github
        .server()
        .stubFor(
            delete(urlPathEqualTo("/orgs/" + org + "/actions/runners/" + runnerId))
                .willReturn(WireMock.aResponse().withStatus(204)));
  }

  /**
   * Gives claim {@code claimId} the runner id {@code 100000 + claimId} (the JIT stub answers one id
   * for every runner) and answers GitHub's lookup of that id: {@code busy} or idle.
   */
  void stubRunnerById(String org, long claimId, boolean busy) throws SQLException {
    long runnerId = 100_000 + claimId;
    svc.exec("update claims set runner_id = ? where id = ?", runnerId, claimId);
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/" + org + "/actions/runners/" + runnerId))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "{\"id\":"
                            + runnerId
                            + ",\"name\":\"runway-x-"
                            + claimId
                            + "\",\"status\":\"online\",\"busy\":"
                            + busy
                            + "}")));
    github
        .server()
        .stubFor(
            delete(urlPathEqualTo("/orgs/" + org + "/actions/runners/" + runnerId))
                .willReturn(
                    busy
                        ? WireMock.aResponse()
                            .withStatus(422)
                            .withHeader("Content-Type", "application/json")
                            .withBody("{\"message\":\"Runner is currently running a job\"}")
                        : WireMock.aResponse().withStatus(204)));
  }

  int runnerLookups(String org, long claimId) {
    return github.count(
        com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(
            urlPathEqualTo("/orgs/" + org + "/actions/runners/" + (100_000 + claimId))));
  }

  int registrationDeletes(String org, long claimId) {
    return github.count(
        deleteRequestedFor(
            urlPathEqualTo("/orgs/" + org + "/actions/runners/" + (100_000 + claimId))));
  }

  String logText() {
    synchronized (logs.list) {
      return logs.list.stream()
          .map(e -> e.getFormattedMessage() + " " + e.getThrowableProxy())
          .collect(Collectors.joining("\n"));
    }
  }

  @Override
  public void close() {
    try {
      if (svc != null) {
        svc.close();
      }
    } finally {
      while (!cleanup.isEmpty()) {
        try {
          cleanup.pop().close();
        } catch (Exception e) {
          // Best effort.
        }
      }
      api.destroy();
      github.close();
      root().detachAppender(logs);
    }
  }
}

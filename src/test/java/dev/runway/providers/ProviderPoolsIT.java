package dev.runway.providers;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.claims.ClaimsFixture;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.GitHubStub;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Provider pools end to end: the service with a pools file whose pool names a fake GARM provider
 * ({@link FakeProvider}, a process of its own per call), a WireMock GitHub, real PostgreSQL, and
 * the fake's instances booting against the service's public port with their tokens.
 */
class ProviderPoolsIT {
  private static final Duration LONG = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path providerDir;
  private Path script;
  private ClaimsFixture f;
  private RunwayHarness replica;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void setUp() throws Exception {
    providerDir = dir.resolve("provider");
    script = FakeProvider.install(providerDir);
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    root.detachAppender(logs);
    if (replica != null) {
      replica.close();
    }
    if (f != null) {
      f.close();
    }
  }

  private String pools(int maxRunners, String extra) {
    return "pools:\n"
        + "  - name: vm\n"
        + "    labels: [vm]\n"
        + "    maxRunners: "
        + maxRunners
        + "\n"
        + "    provider:\n"
        + "      executable: "
        + script
        + "\n"
        + "      config: "
        + providerDir.resolve("provider.properties")
        + "\n"
        + "      image: ubuntu-24.04\n"
        + "      flavor: small\n"
        + "      extraSpecs: {disk_gb: 20}\n"
        + extra;
  }

  private void start(int maxRunners, String extra, Map<String, String> env) throws Exception {
    Path svc = Files.createDirectories(dir.resolve("svc"));
    int port = freePort();
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put(RunwayConfig.PORT, String.valueOf(port));
    all.put(RunwayConfig.PUBLIC_URL, "http://127.0.0.1:" + port);
    all.put(RunwayConfig.PROVISIONER_INTERVAL, "500ms");
    f = ClaimsFixture.start(svc, pools(maxRunners, extra), all);
    f.account("acme", ACME, 50);
    stubGitHub(f.github);
  }

  /** Runner downloads, and a JIT config per runner whose files name the runner. */
  static void stubGitHub(GitHubStub github) {
    github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/acme/actions/runners/downloads"))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "[{\"os\":\"linux\",\"architecture\":\"x64\",\"download_url\":"
                            + "\"https://github.com/actions/runner/releases/download/v2.321.0/"
                            + "actions-runner-linux-x64-2.321.0.tar.gz\",\"filename\":"
                            + "\"actions-runner-linux-x64-2.321.0.tar.gz\",\"sha256_checksum\":"
                            + "\"ab12\"},{\"os\":\"win\",\"architecture\":\"x64\"}]")));
    String name = "{{jsonPath request.body '$.name'}}";
    String jit =
        "{{#base64}}{\".runner\":\"{{#base64}}{\"agentName\":\""
            + name
            + "\"}{{/base64}}\",\".credentials\":\"{{#base64}}credentials-of-"
            + name
            + "{{/base64}}\",\".credentials_rsaparams\":\"{{#base64}}rsa-of-"
            + name
            + "{{/base64}}\"}{{/base64}}";
    github
        .server()
        .stubFor(
            post(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .withRequestBody(matchingJsonPath("$.name"))
                .willReturn(
                    GitHubStub.jsonResponse(
                            201,
                            "{\"runner\":{\"id\":7,\"name\":\""
                                + name
                                + "\",\"os\":\"unknown\",\"status\":\"offline\",\"busy\":false,"
                                + "\"labels\":[]},\"encoded_jit_config\":\""
                                + jit
                                + "\"}")
                        .withTransformers("response-template")));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---- what the fake provider saw ----

  private List<String> calls() throws Exception {
    Path log = providerDir.resolve("calls.log");
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  private long calls(String command) throws Exception {
    return calls().stream().filter(l -> l.startsWith(command + " ")).count();
  }

  private Set<String> instances() throws Exception {
    Set<String> names = new HashSet<>();
    for (Path p : FakeProvider.instanceFiles(providerDir.resolve("instances"))) {
      names.add(p.getFileName().toString().replaceAll("\\.json$", ""));
    }
    return names;
  }

  /** Instances whose bootstrap ran to its end, with their boot results. */
  private Set<String> booted() throws Exception {
    Set<String> out = new HashSet<>();
    for (String name : instances()) {
      if (Files.exists(providerDir.resolve("instances").resolve(name + ".boot"))) {
        out.add(name);
      }
    }
    return out;
  }

  private List<String> bootResults(String name) throws Exception {
    return Files.readAllLines(providerDir.resolve("instances").resolve(name + ".boot"));
  }

  private String tokenOf(String name) throws Exception {
    return JSON.readTree(
            providerDir.resolve("instances").resolve(name + ".bootstrap.json").toFile())
        .path("instance-token")
        .asText();
  }

  private String fetched(String name, String file) throws Exception {
    return Files.readString(
        providerDir.resolve("instances").resolve(name + ".files").resolve(file));
  }

  /** The job the runner's claim holds, or null for an idle warm one. */
  private Long jobOf(String runnerName) throws Exception {
    long claim = Long.parseLong(runnerName.substring(runnerName.lastIndexOf('-') + 1));
    String job = f.string("select job_id from claims where id = ?", claim);
    return job == null ? null : Long.parseLong(job);
  }

  /** GitHub's part: the job of each booted instance goes in progress on it and completes. */
  private void runJobs(RunwayHarness svc, Set<String> played) throws Exception {
    for (String name : booted()) {
      Long job = jobOf(name);
      if (job != null && played.add(name)) {
        send(svc, "in_progress", job, name);
        send(svc, "completed", job, name);
      }
    }
  }

  private static void send(RunwayHarness svc, String action, long job, String runner)
      throws Exception {
    String conclusion = action.equals("completed") ? "success" : null;
    String body = Signed.workflowJob(action, job, 1, "acme", ACME, runner, conclusion, "vm");
    int status = svc.post("workflow_job", UUID.randomUUID().toString(), body).statusCode();
    assertThat(status / 100).isEqualTo(2);
  }

  private HttpResponse<String> metadata(RunwayHarness svc, String path, String token)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(svc.base().resolve(InstanceApi.METADATA + "/" + path))
            .timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return svc.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String allLogs() {
    synchronized (logs.list) {
      List<String> lines = new ArrayList<>();
      for (ILoggingEvent e : logs.list) {
        lines.add(e.getFormattedMessage());
        if (e.getThrowableProxy() != null) {
          lines.add(ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy()));
        }
      }
      return String.join("\n", lines);
    }
  }

  // ---- the tests ----

  @Test
  void six_queued_jobs_make_six_instances_never_above_max_runners_each_with_its_own_config()
      throws Exception {
    start(3, "", Map.of());
    AtomicInteger most = new AtomicInteger();
    AtomicInteger samples = new AtomicInteger();
    // A separate thread samples the machines (the provider's and Runway's rows) every few
    // milliseconds for the whole run.
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleWithFixedDelay(
        () -> {
          try {
            most.accumulateAndGet(instances().size(), Math::max);
            most.accumulateAndGet(
                (int) f.svc.count("select count(*) from provider_instances"), Math::max);
            samples.incrementAndGet();
          } catch (Exception e) {
            // A file vanished while listed: no evidence either way; the next sample counts.
          }
        },
        0,
        20,
        TimeUnit.MILLISECONDS);
    for (long job = 1; job <= 6; job++) {
      f.queue(job, "acme", ACME, "vm");
    }
    await().atMost(LONG).until(() -> booted().size() == 3);
    List<String> firstThree = new ArrayList<>(booted());
    String a = firstThree.get(0);
    String b = firstThree.get(1);
    String tokenA = tokenOf(a);
    String tokenB = tokenOf(b);

    // Each booted with its own token, and fetched its own runner's files.
    for (String name : firstThree) {
      assertThat(bootResults(name))
          .contains(
              "GET credentials/runner 200",
              "GET credentials/credentials 200",
              "GET credentials/credentials_rsaparams 200",
              "GET system/service-name 200",
              "GET systemd/unit-file?runAsUser=runner 200")
          .anyMatch(l -> l.matches("POST .*/callbacks/system-info/? 200"))
          .anyMatch(l -> l.matches("POST .*/callbacks/status 200"));
      assertThat(fetched(name, "credentials_runner")).isEqualTo("{\"agentName\":\"" + name + "\"}");
      assertThat(fetched(name, "credentials_credentials")).isEqualTo("credentials-of-" + name);
      assertThat(fetched(name, "credentials_credentials_rsaparams")).isEqualTo("rsa-of-" + name);
      assertThat(fetched(name, "system_service_name")).isEqualTo("actions.runner." + name);
    }
    // A wrong token, no token, and another instance's secret under this one's name: 401 alike.
    assertThat(metadata(f.svc, "system/service-name", tokenA).statusCode()).isEqualTo(200);
    assertThat(metadata(f.svc, "system/service-name", null).statusCode()).isEqualTo(401);
    assertThat(metadata(f.svc, "system/service-name", "garbage").statusCode()).isEqualTo(401);
    String mixed = a + tokenB.substring(tokenB.lastIndexOf('.'));
    assertThat(metadata(f.svc, "system/service-name", mixed).statusCode()).isEqualTo(401);
    assertThat(metadata(f.svc, "credentials/runner", mixed).statusCode()).isEqualTo(401);
    // Once installed, the runner's JIT config is gone from Runway.
    await()
        .atMost(LONG)
        .until(
            () ->
                f.svc.count(
                        "select count(*) from provider_instances where name = ? and jit_config is"
                            + " null",
                        a)
                    == 1);
    assertThat(metadata(f.svc, "credentials/runner", tokenA).statusCode()).isEqualTo(404);

    Set<String> played = new HashSet<>();
    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              runJobs(f.svc, played);
              assertThat(played).hasSize(6);
            });
    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              assertThat(instances()).isEmpty();
              assertThat(f.svc.count("select count(*) from provider_instances")).isZero();
            });
    sampler.shutdownNow();
    assertThat(samples.get()).isPositive();
    assertThat(calls("CreateInstance")).isEqualTo(6);
    assertThat(calls("DeleteInstance")).isGreaterThanOrEqualTo(6);
    assertThat(most.get()).isLessThanOrEqualTo(3);
    for (long job = 1; job <= 6; job++) {
      assertThat(f.status(job)).isEqualTo("completed");
    }
    // A deleted instance's token opens nothing.
    assertThat(metadata(f.svc, "system/service-name", tokenA).statusCode()).isEqualTo(401);

    // No token or JIT config in a log, in the provider's argv or in its environment.
    String everything = allLogs() + "\n" + Files.readString(providerDir.resolve("argv.log"));
    for (String name : played) {
      assertThat(everything).doesNotContain("credentials-of-" + name);
      assertThat(everything)
          .doesNotContain(
              Base64.getEncoder()
                  .encodeToString(("credentials-of-" + name).getBytes(StandardCharsets.UTF_8)));
    }
    assertThat(everything).doesNotContain(tokenA).doesNotContain(tokenB).doesNotContain("rwi_");
    assertThat(everything).doesNotContain("encoded_jit_config").doesNotContain("eyIucnVubmVy");
  }

  @Test
  void a_failing_create_instance_releases_the_claim_and_the_job_runs_on_the_next_instance()
      throws Exception {
    Files.writeString(providerDir.resolve("fail-create"), "1");
    start(3, "", Map.of());
    f.queue(11, "acme", ACME, "vm");
    await().atMost(LONG).until(() -> booted().size() == 1);
    assertThat(calls("CreateInstance")).isEqualTo(2);
    String name = booted().iterator().next();
    assertThat(jobOf(name)).isEqualTo(11L);
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"vm\",reason=\"provider_error\"}"))
        .isEqualTo(1.0);
    assertThat(allLogs()).contains("quota exceeded for runway-vm-");
    runJobs(f.svc, new HashSet<>());
    await().atMost(LONG).until(() -> instances().isEmpty());
    assertThat(f.status(11)).isEqualTo("completed");
  }

  @Test
  void repeated_create_failures_make_the_pool_degraded_until_an_instance_comes_up()
      throws Exception {
    Files.writeString(providerDir.resolve("fail-create"), "3");
    start(3, "      maxLaunchFailures: 2\n", Map.of());
    f.queue(51, "acme", ACME, "vm");
    await().atMost(LONG).until(() -> f.svc.metric("runway_pool_degraded{pool=\"vm\"}") == 1.0);
    assertThat(allLogs()).contains("pool vm is Degraded: 2 launch failures in a row");
    // One probe per backoff (10 s, then 20 s, on the service's clock): the third fails, the
    // fourth boots and clears it.
    await()
        .atMost(LONG)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              f.clock.advance(Duration.ofSeconds(15));
              return booted().size() == 1;
            });
    await().atMost(LONG).until(() -> f.svc.metric("runway_pool_degraded{pool=\"vm\"}") == 0.0);
    assertThat(calls("CreateInstance")).isEqualTo(4);
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"vm\",reason=\"provider_error\"}"))
        .isEqualTo(3.0);
  }

  @Test
  void an_instance_that_never_boots_is_deleted_at_its_bootstrap_timeout_and_its_claim_released()
      throws Exception {
    Files.writeString(providerDir.resolve("no-boot"), "");
    start(3, "      bootstrapTimeout: 10m\n", Map.of());
    f.queue(21, "acme", ACME, "vm");
    await().atMost(LONG).until(() -> instances().size() == 1);
    String first = instances().iterator().next();
    // Its successor boots.
    Files.delete(providerDir.resolve("no-boot"));
    f.clock.advance(Duration.ofMinutes(11));
    await().atMost(LONG).until(() -> !instances().contains(first));
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"vm\",reason=\"bootstrap_timeout\"}"))
        .isEqualTo(1.0);
    // Released: the job is claimed again, by a new instance.
    await().atMost(LONG).until(() -> booted().size() == 1);
    assertThat(booted().iterator().next()).isNotEqualTo(first);
    assertThat(jobOf(booted().iterator().next())).isEqualTo(21L);
  }

  @Test
  void an_orphan_instance_of_the_pool_is_deleted_and_others_are_left_alone() throws Exception {
    start(3, "", Map.of(RunwayConfig.PROVIDER_SYNC_INTERVAL, "1s"));
    await().atMost(LONG).until(() -> calls("ListInstances") >= 1);
    String poolId =
        calls().stream()
            .filter(l -> l.startsWith("ListInstances "))
            .findFirst()
            .orElseThrow()
            .split(" ")[2];
    Path instances = Files.createDirectories(providerDir.resolve("instances"));
    Files.writeString(
        instances.resolve("orphan.json"),
        "{\"provider_id\":\"fake-orphan\",\"name\":\"orphan\",\"status\":\"running\","
            + "\"pool_id\":\""
            + poolId
            + "\"}");
    Files.writeString(
        instances.resolve("someone-else.json"),
        "{\"provider_id\":\"fake-else\",\"name\":\"someone-else\",\"status\":\"running\","
            + "\"pool_id\":\"another-pool\"}");
    await().atMost(LONG).until(() -> !instances().contains("orphan"));
    assertThat(calls()).contains("DeleteInstance fake-orphan " + poolId);
    assertThat(instances()).containsExactly("someone-else");
  }

  @Test
  void an_instance_that_vanishes_before_its_job_releases_the_claim_to_a_new_instance()
      throws Exception {
    start(3, "", Map.of(RunwayConfig.PROVIDER_SYNC_INTERVAL, "1s"));
    f.queue(61, "acme", ACME, "vm");
    await().atMost(LONG).until(() -> booted().size() == 1);
    String first = booted().iterator().next();
    // Someone deletes the machine in the cloud console.
    Files.delete(providerDir.resolve("instances").resolve(first + ".json"));
    f.clock.advance(ProviderLauncher.LIST_LAG.plusMinutes(1));
    await().atMost(LONG).until(() -> booted().size() == 1 && !booted().contains(first));
    assertThat(jobOf(booted().iterator().next())).isEqualTo(61L);
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"vm\",reason=\"instance_lost\"}"))
        .isEqualTo(1.0);
  }

  @Test
  void a_restart_adopts_the_running_instances_with_no_duplicate() throws Exception {
    start(3, "", Map.of(RunwayConfig.PROVIDER_SYNC_INTERVAL, "1s"));
    f.queue(31, "acme", ACME, "vm");
    f.queue(32, "acme", ACME, "vm");
    await().atMost(LONG).until(() -> booted().size() == 2);
    Set<String> before = instances();
    f.svc.close();
    long listsBefore = calls("ListInstances");
    replica = f.replica(Files.createDirectories(dir.resolve("svc2")));
    // The new process has led at least one cycle and listed the instances: it knows them all.
    await().atMost(LONG).until(() -> calls("ListInstances") >= listsBefore + 2);
    assertThat(instances()).isEqualTo(before);
    assertThat(calls("CreateInstance")).isEqualTo(2);
    assertThat(calls("DeleteInstance")).isZero();
    runJobs(replica, new HashSet<>());
    await().atMost(LONG).until(() -> instances().isEmpty());
    assertThat(calls("CreateInstance")).isEqualTo(2);
  }

  @Test
  void min_idle_keeps_a_warm_instance_that_takes_the_next_job_and_is_replaced() throws Exception {
    start(3, "      minIdle: 1\n", Map.of());
    // Warm runners go to accounts that used the pool lately: one job first.
    f.queue(41, "acme", ACME, "vm");
    Set<String> played = new HashSet<>();
    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              runJobs(f.svc, played);
              assertThat(f.status(41)).isEqualTo("completed");
            });
    await()
        .atMost(LONG)
        .until(
            () ->
                f.svc.count(
                        "select count(*) from claims c join provider_instances i on i.claim_id ="
                            + " c.id where c.warm and c.job_id is null and i.boot_status = 'idle'")
                    == 1);
    String warmRunner =
        f.string(
            "select i.name from claims c join provider_instances i on i.claim_id = c.id"
                + " where c.warm and c.job_id is null");
    long creates = calls("CreateInstance");
    f.queue(42, "acme", ACME, "vm");
    // The job goes to the warm instance's claim: no instance is created for it...
    await()
        .atMost(LONG)
        .until(
            () ->
                warmRunner.equals(
                    f.string(
                        "select c.runner_name from jobs j join claims c on c.job_id = j.job_id and c.run_attempt = j.run_attempt and c.status in ('active', 'bound')"
                            + " where j.job_id = 42")));
    long job = 42;
    send(f.svc, "in_progress", job, warmRunner);
    send(f.svc, "completed", job, warmRunner);
    await().atMost(LONG).until(() -> !instances().contains(warmRunner));
    assertThat(f.status(42)).isEqualTo("completed");
    // ...and minIdle brings a new idle warm instance, the only one created since.
    await()
        .atMost(LONG)
        .until(
            () ->
                f.svc.count(
                        "select count(*) from claims c join provider_instances i on i.claim_id ="
                            + " c.id where c.warm and c.job_id is null and i.boot_status = 'idle'")
                    == 1);
    assertThat(calls("CreateInstance")).isEqualTo(creates + 1);
  }

  @Test
  void a_provider_pool_without_a_public_url_stops_the_start_with_a_message() throws Exception {
    Path svc = Files.createDirectories(dir.resolve("nourl"));
    Files.writeString(svc.resolve("pools.yaml"), pools(3, ""));
    assertThatThrownBy(() -> RunwayHarness.start(svc, TestDatabases.fresh(), Map.of()))
        .hasMessageContaining("RUNWAY_PUBLIC_URL")
        .hasMessageContaining("pool vm has a provider");
  }
}

package dev.runway.provisioner;

import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.GLOBEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.runway.platform.config.RunwayConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of jobs across two accounts becomes exactly one Pod per claim, never above a cap, at most
 * the configured launches per cycle; and every request Runway sends the API server is one the Role
 * in {@code deploy/rbac/} allows.
 */
class ProvisionerBurstIT {
  static final String POOL = "linux";
  static final int PER_CYCLE = 4;
  static final int ACME_CAP = 15;
  static final int GLOBEX_CAP = 10;
  static final int POOL_CAP = 20;

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  void start() throws Exception {
    bed =
        new ProvisionerBed(
            dir, Map.of(RunwayConfig.PROVISIONER_LAUNCHES_PER_CYCLE, String.valueOf(PER_CYCLE)));
    bed.account("acme", ACME, ACME_CAP);
    bed.account("globex", GLOBEX, GLOBEX_CAP);
    bed.pool(POOL, List.of("linux"), Map.of("maxRunners", POOL_CAP, "startTimeout", "30s"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
  }

  @Test
  void a_burst_of_200_jobs_gets_one_pod_per_claim_under_both_caps_at_the_launch_bound()
      throws Exception {
    start();
    for (int i = 0; i < 200; i++) {
      boolean acme = i % 2 == 0;
      bed.event(
          "queued", 10_000 + i, acme ? "acme" : "globex", acme ? ACME : GLOBEX, null, "linux");
    }

    Set<String> seen = new HashSet<>();
    Map<String, Integer> perCycle = new HashMap<>();
    int[] maxLive = new int[3];
    await()
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              List<Pod> pods = bed.pods(POOL);
              int[] live = livePodsPerAccount(pods);
              assertThat(live[0]).isLessThanOrEqualTo(ACME_CAP);
              assertThat(live[1]).isLessThanOrEqualTo(GLOBEX_CAP);
              assertThat(live[0] + live[1]).isLessThanOrEqualTo(POOL_CAP);
              maxLive[0] = Math.max(maxLive[0], live[0]);
              maxLive[1] = Math.max(maxLive[1], live[1]);
              for (Pod pod : pods) {
                if (seen.add(pod.getMetadata().getName())) {
                  perCycle.merge(
                      pod.getMetadata().getAnnotations().get("runway.dev/launch-cycle"),
                      1,
                      Integer::sum);
                  runJob(pod);
                }
              }
              return bed.svc.count(
                      "select count(*) from jobs where job_id >= 10000 and status = 'completed'")
                  == 200;
            });

    // One Pod per claim, one claim per job: no job was launched twice.
    assertThat(seen).hasSize(200);
    assertThat(bed.svc.count("select count(*) from claims")).isEqualTo(200);
    assertThat(bed.svc.count("select count(distinct job_id) from claims")).isEqualTo(200);
    assertThat(bed.svc.count("select count(*) from claims where state = 'done'")).isEqualTo(200);
    // The bound held in every cycle, and was reached: a burst becomes a stream.
    assertThat(perCycle.values()).allMatch(n -> n <= PER_CYCLE);
    assertThat(perCycle.values()).contains(PER_CYCLE);
    assertThat(perCycle.size()).isGreaterThanOrEqualTo(200 / PER_CYCLE);
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods().isEmpty());
    assertThat(bed.kube.secrets().inNamespace(ProvisionerBed.NS).list().getItems()).isEmpty();
    assertThat(bed.logText()).doesNotContain(ProvisionerBed.JIT);
  }

  /** Live Pods (claimed, launching, running) per account: {acme, globex}. */
  int[] livePodsPerAccount(List<Pod> pods) throws Exception {
    int[] out = new int[2];
    if (pods.isEmpty()) {
      return out;
    }
    Long[] ids = pods.stream().map(ProvisionerBed::claimOf).toArray(Long[]::new);
    try (Connection c = bed.svc.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "select a.login, count(*) from claims cl join accounts a on a.id = cl.account_id"
                    + " where cl.id = any (?) and cl.state in ('claimed', 'launching', 'running')"
                    + " group by 1")) {
      ps.setArray(1, c.createArrayOf("bigint", ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out[rs.getString(1).equals("acme") ? 0 : 1] = rs.getInt(2);
        }
      }
    }
    return out;
  }

  /** The kubelet starts the Pod; GitHub gives its runner the claim's job, which completes. */
  void runJob(Pod pod) throws Exception {
    long claim = ProvisionerBed.claimOf(pod);
    long job = bed.jobOf(claim);
    boolean acme = (job - 10_000) % 2 == 0;
    String owner = acme ? "acme" : "globex";
    long inst = acme ? ACME : GLOBEX;
    bed.running(pod);
    bed.event("in_progress", job, owner, inst, pod.getMetadata().getName(), "linux");
    bed.event("completed", job, owner, inst, pod.getMetadata().getName(), "linux");
  }

  @Test
  void every_request_runway_sends_the_api_server_is_allowed_by_the_role() throws Exception {
    start();
    // A job that runs, a Pod that fails (a status write, a release), then the pool's deletion.
    bed.event("queued", 20_001, "acme", ACME, null, "linux");
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).size() == 1);
    runOne(bed.pods(POOL).get(0), 20_001);
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).isEmpty());
    bed.event("queued", 20_002, "acme", ACME, null, "linux");
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).size() == 1);
    Pod failing = bed.pods(POOL).get(0);
    bed.waiting(failing, "ErrImagePull");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                bed.kube
                        .pods()
                        .inNamespace(ProvisionerBed.NS)
                        .withName(failing.getMetadata().getName())
                        .get()
                    == null);
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).size() == 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> !bed.condition(POOL, "Ready").isEmpty());
    // The relaunched Pod never starts: at startTimeout Runway reads it once more, then gives up.
    String pending = bed.pods(POOL).get(0).getMetadata().getName();
    bed.clock.advance(Duration.ofSeconds(31));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                bed.pods(POOL).stream().noneMatch(p -> p.getMetadata().getName().equals(pending)));
    bed.kube
        .genericKubernetesResources(dev.runway.pools.KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(ProvisionerBed.NS)
        .withName(POOL)
        .delete();
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods().isEmpty());

    Set<String> used = new HashSet<>();
    RecordedRequest r;
    while ((r = bed.api.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      if (ProvisionerBed.RUNWAY_AGENT.equals(r.getHeader("User-Agent"))) {
        used.add(permission(r));
      }
    }
    Set<String> granted = granted();
    assertThat(used)
        .contains(
            "runnerpools:list",
            "runnerpools:watch",
            "runnerpools/status:update",
            "pods:create",
            "pods:get",
            "pods:delete",
            "pods:list",
            "pods:watch",
            "secrets:create",
            "secrets:patch",
            "secrets:delete");
    assertThat(granted).containsAll(used);
    // Nothing granted that Runway does not do, but runnerpools get, which the RBAC contract of
    // PRODUCT.md names for the pool reader.
    Set<String> unused = new HashSet<>(granted);
    unused.removeAll(used);
    assertThat(unused).isSubsetOf("runnerpools:get");
  }

  private void runOne(Pod pod, long job) throws Exception {
    bed.running(pod);
    bed.event("in_progress", job, "acme", ACME, pod.getMetadata().getName(), "linux");
    bed.event("completed", job, "acme", ACME, pod.getMetadata().getName(), "linux");
  }

  private static final Pattern PATH =
      Pattern.compile(
          "^/(?:api/v1|apis/runway\\.dev/v1alpha1)/namespaces/[^/]+/([^/]+)(/[^/]+)?(/status)?$");

  /** {@code resource:verb} as RBAC names the request. */
  static String permission(RecordedRequest r) {
    URI uri = URI.create(r.getPath());
    Matcher m = PATH.matcher(uri.getPath());
    assertThat(m.matches()).as("a namespaced request: %s", r.getPath()).isTrue();
    String resource = m.group(1) + (m.group(3) == null ? "" : "/status");
    boolean named = m.group(2) != null;
    String query = uri.getQuery() == null ? "" : uri.getQuery();
    String verb =
        switch (r.getMethod()) {
          case "GET" -> named ? "get" : query.contains("watch=true") ? "watch" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> named ? "delete" : "deletecollection";
          default -> r.getMethod();
        };
    return resource + ":" + verb;
  }

  static Set<String> granted() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Set<String> out = new HashSet<>();
    try (var docs =
        yaml.readerFor(JsonNode.class)
            .readValues(Path.of("deploy/rbac/runway-rbac.yaml").toFile())) {
      for (Object o : docs.readAll()) {
        JsonNode d = (JsonNode) o;
        if (!d.path("kind").asText().equals("Role")) {
          continue;
        }
        for (JsonNode rule : d.path("rules")) {
          for (JsonNode res : rule.path("resources")) {
            for (JsonNode verb : rule.path("verbs")) {
              out.add(res.asText() + ":" + verb.asText());
            }
          }
        }
      }
    }
    return out;
  }
}

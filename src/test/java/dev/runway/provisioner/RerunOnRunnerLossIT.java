package dev.runway.provisioner;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.runway.testing.Signed;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22 item 4: a job that fails because Runway's runner was lost mid-job is rerun at GitHub, at
 * most {@code rerunOnRunnerLoss} times; a job that failed on its own never is.
 */
class RerunOnRunnerLossIT {
  static final String POOL = "linux";
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  void start(int reruns) throws Exception {
    bed = new ProvisionerBed(dir, Map.of());
    bed.account("acme", ACME, 50);
    bed.pool(POOL, List.of("linux"), Map.of("maxRunners", 5, "rerunOnRunnerLoss", reruns));
    await().atMost(WAIT).until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
  }

  void send(String action, long job, int attempt, String runner, String conclusion)
      throws Exception {
    String body =
        Signed.workflowJob(action, job, attempt, "acme", ACME, runner, conclusion, "linux");
    int status = bed.svc.post("workflow_job", UUID.randomUUID().toString(), body).statusCode();
    assertThat(status / 100).isEqualTo(2);
  }

  static String rerunPath(long job) {
    return "/repos/acme/app/actions/jobs/" + job + "/rerun";
  }

  void stubRerun(long job) {
    bed.github
        .server()
        .stubFor(
            post(urlPathEqualTo(rerunPath(job))).willReturn(WireMock.aResponse().withStatus(201)));
  }

  int reruns(long job) {
    return bed.github.count(postRequestedFor(urlPathEqualTo(rerunPath(job))));
  }

  Pod awaitPodOf(long job, int attempt) {
    await()
        .atMost(WAIT)
        .until(
            () ->
                bed.pods(POOL).stream()
                    .anyMatch(p -> claimHolds(ProvisionerBed.claimOf(p), job, attempt)));
    return bed.pods(POOL).stream()
        .filter(p -> claimHolds(ProvisionerBed.claimOf(p), job, attempt))
        .findFirst()
        .orElseThrow();
  }

  boolean claimHolds(long claim, long job, int attempt) {
    try {
      return bed.svc.count(
              "select count(*) from claims where id = ? and job_id = ? and run_attempt = ?",
              claim,
              job,
              attempt)
          == 1;
    } catch (Exception e) {
      return false;
    }
  }

  /** Claims, starts and binds a runner for the job's attempt; returns its Pod. */
  Pod runningJob(long job, int attempt) throws Exception {
    send("queued", job, attempt, null, null);
    Pod pod = awaitPodOf(job, attempt);
    bed.running(pod);
    send("in_progress", job, attempt, pod.getMetadata().getName(), null);
    long claim = ProvisionerBed.claimOf(pod);
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.text("select status from claims where id = ?", claim).equals("bound"));
    return pod;
  }

  /** The kubelet: the runner container ended with {@code exitCode} (and {@code reason}). */
  void ended(Pod pod, int exitCode, String reason) {
    Pod current = bed.kube.pods().inNamespace(NS).withName(pod.getMetadata().getName()).get();
    current.setStatus(
        new PodStatusBuilder()
            .withPhase(exitCode == 0 ? "Succeeded" : "Failed")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("runner")
                    .withState(
                        new ContainerStateBuilder()
                            .withNewTerminated()
                            .withExitCode(exitCode)
                            .withReason(reason)
                            .endTerminated()
                            .build())
                    .build())
            .build());
    bed.kube.pods().inNamespace(NS).resource(current).updateStatus();
  }

  @Test
  void a_runner_killed_mid_job_leads_to_exactly_one_rerun_and_a_job_that_failed_on_its_own_to_none()
      throws Exception {
    start(1);
    stubRerun(3001);
    stubRerun(3002);
    // A job that fails on its own: the runner exits 1 after it.
    Pod own = runningJob(3002, 1);
    ended(own, 1, "Error");
    send("completed", 3002, 1, own.getMetadata().getName(), "failure");
    // A job whose runner the kernel killed for memory.
    Pod killed = runningJob(3001, 1);
    ended(killed, 137, "OOMKilled");
    long claim = ProvisionerBed.claimOf(killed);
    await()
        .atMost(WAIT)
        .until(
            () ->
                "oom_killed"
                    .equals(bed.svc.text("select lost_reason from claims where id = ?", claim)));
    send("completed", 3001, 1, killed.getMetadata().getName(), "failure");

    await().atMost(WAIT).until(() -> reruns(3001) == 1);
    assertThat(bed.svc.metric("runway_job_reruns_total{pool=\"linux\",reason=\"oom_killed\"}"))
        .isEqualTo(1);
    assertThat(bed.svc.text("select result from job_reruns where job_id = 3001"))
        .isEqualTo("requested");
    // Both completions were there for the round that asked for 3001; the own failure has no loss.
    assertThat(reruns(3002)).isZero();
    assertThat(bed.svc.count("select count(*) from job_reruns where job_id = 3002")).isZero();
    assertThat(
            bed.svc.text(
                "select coalesce(lost_reason, 'none') from claims where id = ?",
                ProvisionerBed.claimOf(own)))
        .isEqualTo("none");
    // The job page shows the attempt's lost runner and the rerun.
    dev.runway.ui.UiClient ui = new dev.runway.ui.UiClient(bed.svc.adminBase());
    String session = ui.login(bed.svc.operatorToken());
    assertThat(ui.get("/ui/jobs/3001/1", session).body())
        .contains("runner lost / rerun", ">oom_killed</span> requested");
    assertThat(ui.get("/ui/jobs/3002/1", session).body()).doesNotContain("oom_killed");
    // And GET /api/v1/jobs/{id} lists the rerun with its reason.
    java.net.http.HttpResponse<String> api =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        bed.svc.adminBase().resolve("/api/v1/jobs/3001"))
                    .header("Authorization", "Bearer " + bed.svc.operatorToken())
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(api.statusCode()).isEqualTo(200);
    assertThat(api.body())
        .contains("\"reruns\":[{")
        .contains("\"reason\":\"oom_killed\"")
        .contains("\"result\":\"requested\"");
    // One rerun, not one per round.
    await()
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(10))
        .until(() -> reruns(3001) == 1);
  }

  @Test
  void the_budget_caps_the_reruns_of_a_job_over_its_attempts() throws Exception {
    start(1);
    stubRerun(3101);
    Pod first = runningJob(3101, 1);
    ended(first, 137, null);
    send("completed", 3101, 1, first.getMetadata().getName(), "failure");
    await().atMost(WAIT).until(() -> reruns(3101) == 1);

    // GitHub reran it: attempt 2, and its runner is lost again.
    Pod second = runningJob(3101, 2);
    bed.kube.pods().inNamespace(NS).withName(second.getMetadata().getName()).delete();
    long claim = ProvisionerBed.claimOf(second);
    await()
        .atMost(WAIT)
        .until(
            () ->
                "pod_deleted"
                    .equals(bed.svc.text("select lost_reason from claims where id = ?", claim)));
    send("completed", 3101, 2, second.getMetadata().getName(), "cancelled");
    await()
        .atMost(WAIT)
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from job_reruns where claim_id = ? and result ="
                            + " 'over_budget'",
                        claim)
                    == 1);
    assertThat(reruns(3101)).isEqualTo(1);
    assertThat(bed.svc.metric("runway_job_reruns_total{pool=\"linux\",reason=\"signal\"}"))
        .isEqualTo(1);
  }
}

package dev.runway.testing;

import dev.runway.ingest.webhook.SignatureVerifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Builds and sends webhook requests the way GitHub does. */
public final class Signed {
  private Signed() {}

  /** GitHub's receive deadline: any answer slower than this is a failed delivery. */
  public static final Duration GITHUB_TIMEOUT = Duration.ofSeconds(10);

  public static HttpRequest.Builder request(
      URI base, String event, String guid, String body, String secret) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve("/webhooks/github"))
            .timeout(GITHUB_TIMEOUT)
            .header("Content-Type", "application/json")
            .header("User-Agent", "GitHub-Hookshot/test")
            .header("X-GitHub-Hook-ID", "123")
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
    if (event != null) {
      b.header("X-GitHub-Event", event);
    }
    if (guid != null) {
      b.header("X-GitHub-Delivery", guid);
    }
    if (secret != null) {
      b.header("X-Hub-Signature-256", SignatureVerifier.sign(secret, bytes));
    }
    return b;
  }

  public static HttpResponse<String> send(
      HttpClient http, URI base, String event, String guid, String body, String secret)
      throws Exception {
    return http.send(
        request(base, event, guid, body, secret).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A realistic {@code workflow_job} payload. */
  public static String workflowJob(String action, long jobId, String... labels) {
    return workflowJob(action, jobId, 1, "acme", 4242L, null, null, labels);
  }

  public static String workflowJob(
      String action,
      long jobId,
      int attempt,
      String owner,
      Long installationId,
      String runnerName,
      String conclusion,
      String... labels) {
    StringBuilder l = new StringBuilder();
    for (String s : labels) {
      l.append(l.length() == 0 ? "" : ",").append('"').append(s).append('"');
    }
    String runner = runnerName == null ? "null" : '"' + runnerName + '"';
    String runnerId = runnerName == null ? "null" : String.valueOf(Math.abs(runnerName.hashCode()));
    String concl = conclusion == null ? "null" : '"' + conclusion + '"';
    String status =
        switch (action) {
          case "completed" -> "completed";
          case "in_progress" -> "in_progress";
          case "waiting" -> "waiting";
          default -> "queued";
        };
    return """
        {"action":"%s",
         "workflow_job":{"id":%d,"run_id":%d,"run_attempt":%d,"head_sha":"f0e1d2c3","head_branch":"main",
           "status":"%s","conclusion":%s,"created_at":"2026-05-19T15:20:04Z","started_at":"2026-05-19T15:20:04Z",
           "completed_at":null,"name":"build","workflow_name":"CI","labels":[%s],
           "runner_id":%s,"runner_name":%s,"runner_group_id":null,"runner_group_name":null,"steps":[]},
         "repository":{"id":1296269,"name":"app","full_name":"%s/app","owner":{"login":"%s","type":"Organization"}},
         "organization":{"login":"%s","id":7},
         %s
         "sender":{"login":"octocat"}}"""
        .formatted(
            action,
            jobId,
            jobId * 10,
            attempt,
            status,
            concl,
            l,
            runnerId,
            runner,
            owner,
            owner,
            owner,
            installationId == null ? "" : "\"installation\":{\"id\":" + installationId + "},");
  }
}

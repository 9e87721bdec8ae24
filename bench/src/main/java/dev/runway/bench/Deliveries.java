package dev.runway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds signed {@code workflow_job} deliveries from one realistic payload. The payload is
 * rendered once per action with a sentinel job id, then split around it, so a delivery for a new
 * job costs a byte copy and one HMAC, not a JSON round trip.
 */
final class Deliveries {
  enum Action {
    QUEUED("queued"),
    IN_PROGRESS("in_progress"),
    COMPLETED("completed");

    final String wire;

    Action(String wire) {
      this.wire = wire;
    }
  }

  /** One request ready to send. */
  record Request(Action action, long jobId, String guid, byte[] head, byte[] body) {}

  private static final long SENTINEL = 987_654_321_012_345L;
  private final byte[][] prefix = new byte[Action.values().length][];
  private final byte[][] suffix = new byte[Action.values().length][];
  private final byte[] key;
  private final String path;
  private final String hostHeader;
  private final ThreadLocal<Mac> macs;

  Deliveries(Path payload, String secret, URI url) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode base = (ObjectNode) json.readTree(Files.readAllBytes(payload));
    for (Action a : Action.values()) {
      ObjectNode root = base.deepCopy();
      root.put("action", a.wire);
      ObjectNode job = (ObjectNode) root.get("workflow_job");
      if (job == null) {
        throw new IOException(payload + " has no workflow_job object");
      }
      job.put("id", SENTINEL);
      job.put("status", a.wire);
      if (a != Action.QUEUED) {
        job.put("runner_id", 7001);
        job.put("runner_name", "bench-runner-1");
        job.put("started_at", "2026-11-28T10:00:05Z");
      }
      if (a == Action.COMPLETED) {
        job.put("conclusion", "success");
        job.put("completed_at", "2026-11-28T10:03:05Z");
      }
      byte[] bytes = json.writeValueAsBytes(root);
      byte[] needle = Long.toString(SENTINEL).getBytes(StandardCharsets.US_ASCII);
      int at = indexOf(bytes, needle, 0);
      if (at < 0 || indexOf(bytes, needle, at + 1) >= 0) {
        throw new IOException("cannot template the job id in " + payload);
      }
      prefix[a.ordinal()] = Arrays.copyOfRange(bytes, 0, at);
      suffix[a.ordinal()] = Arrays.copyOfRange(bytes, at + needle.length, bytes.length);
    }
    this.key = secret.getBytes(StandardCharsets.UTF_8);
    this.path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    this.hostHeader = url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "");
    this.macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(new SecretKeySpec(key, "HmacSHA256"));
                return m;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  Request request(Action action, long jobId, String guid) {
    byte[] id = Long.toString(jobId).getBytes(StandardCharsets.US_ASCII);
    byte[] p = prefix[action.ordinal()];
    byte[] s = suffix[action.ordinal()];
    byte[] body = new byte[p.length + id.length + s.length];
    System.arraycopy(p, 0, body, 0, p.length);
    System.arraycopy(id, 0, body, p.length, id.length);
    System.arraycopy(s, 0, body, p.length + id.length, s.length);
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: "
            + hostHeader
            + "\r\nContent-Type: application/json\r\nUser-Agent: GitHub-Hookshot/runway-bench"
            + "\r\nX-GitHub-Event: workflow_job\r\nX-GitHub-Delivery: "
            + guid
            + "\r\nX-GitHub-Hook-ID: 1\r\nX-GitHub-Hook-Installation-Target-Type: integration"
            + "\r\nX-Hub-Signature-256: "
            + sign(body)
            + "\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    return new Request(action, jobId, guid, head.getBytes(StandardCharsets.US_ASCII), body);
  }

  /** {@code sha256=} and the hex HMAC-SHA256 of the body, as GitHub sends it. */
  String sign(byte[] body) {
    return "sha256=" + HexFormat.of().formatHex(macs.get().doFinal(body));
  }

  int bodySize() {
    return prefix[0].length + 15 + suffix[0].length;
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

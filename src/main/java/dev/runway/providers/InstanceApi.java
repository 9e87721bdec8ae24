package dev.runway.providers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.platform.auth.BearerTokens;
import dev.runway.platform.http.Bulkhead;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instance side of provider pools, on the public port: what garm-provider-common's bootstrap
 * templates (Linux and Windows, just-in-time) call while an instance boots, each with {@code
 * Authorization: Bearer <instance-token>}.
 *
 * <ul>
 *   <li>{@code GET {metadata}/credentials/runner}, {@code .../credentials},{@code
 *       .../credentials_rsaparams}: the runner's three files, decoded from its JIT config;
 *   <li>{@code GET {metadata}/system/service-name}: the name of the runner's service;
 *   <li>{@code GET {metadata}/systemd/unit-file?runAsUser=runner}: its systemd unit;
 *   <li>{@code GET {metadata}/system/cert-bundle}: extra CA certificates (none);
 *   <li>{@code GET {metadata}/runner-metadata}: the runner's name, labels and pool;
 *   <li>{@code POST {callback}/status} ({@code {status, message, agent_id}}) and {@code POST
 *       {callback}/system-info} ({@code {os_name, os_version, agent_id}}).
 * </ul>
 *
 * A missing, wrong, expired or other instance's token is 401, the same answer for each, so a caller
 * learns nothing about which instances exist. The work runs on a bulkhead of its own: booting
 * instances never take the listener threads the webhook needs.
 */
final class InstanceApi implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(InstanceApi.class);
  static final String BASE = "/api/v1/provider-instances";
  static final String METADATA = BASE + "/metadata";
  static final String CALLBACKS = BASE + "/callbacks";
  private static final Map<String, String> FILES =
      Map.of(
          "runner", ".runner",
          "credentials", ".credentials",
          "credentials_rsaparams", ".credentials_rsaparams");
  private static final Set<String> STATUSES = Set.of("installing", "idle", "failed", "running");
  private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
  private static final int MESSAGE_MAX = 300;

  private final DataSource ds;
  private final InstanceRepository repo = new InstanceRepository();
  private final Clock clock;
  private final JsonResponses out;
  private final Bulkhead bulkhead;
  private final Runnable onBootStatus;

  /**
   * @param onBootStatus called after a status callback was stored: the launcher acts on it soon
   */
  InstanceApi(
      DataSource ds, Clock clock, JsonResponses out, Bulkhead bulkhead, Runnable onBootStatus) {
    this.ds = ds;
    this.clock = clock;
    this.out = out;
    this.bulkhead = bulkhead;
    this.onBootStatus = onBootStatus;
  }

  @Override
  public void register(Listeners listeners) {
    var r = listeners.publicPort();
    r.get(METADATA + "/credentials/{file}", ctx -> on(ctx, this::credentials));
    r.get(METADATA + "/system/service-name", ctx -> on(ctx, this::serviceName));
    r.get(METADATA + "/systemd/unit-file", ctx -> on(ctx, this::unitFile));
    r.get(METADATA + "/system/cert-bundle", ctx -> on(ctx, this::certBundle));
    r.get(METADATA + "/runner-metadata", ctx -> on(ctx, this::runnerMetadata));
    r.get(METADATA + "/runner-registration-token", ctx -> on(ctx, this::registrationToken));
    r.post(CALLBACKS + "/status", ctx -> on(ctx, this::status));
    r.post(CALLBACKS + "/system-info", ctx -> on(ctx, this::systemInfo));
  }

  @FunctionalInterface
  private interface Handler {
    void handle(Context ctx, InstanceRepository.Access instance) throws Exception;
  }

  private void on(Context ctx, Handler h) {
    bulkhead.handle(
        ctx,
        () -> {
          authenticated(ctx).ifPresent(instance -> run(ctx, h, instance));
          return CompletableFuture.completedFuture(null);
        });
  }

  private void run(Context ctx, Handler h, InstanceRepository.Access instance) {
    try {
      h.handle(ctx, instance);
    } catch (SQLException e) {
      log.warn("instance {}: database: {}", instance.name(), e.getMessage());
      unavailable(ctx);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The caller's instance, or empty after answering 401 (or 503). */
  private Optional<InstanceRepository.Access> authenticated(Context ctx) throws IOException {
    String token = BearerTokens.fromHeader(ctx.header("Authorization"));
    String name = InstanceTokens.instanceOf(token);
    if (name != null) {
      try (Connection c = ds.getConnection()) {
        Optional<InstanceRepository.Access> a = repo.access(c, name);
        if (a.isPresent() && InstanceTokens.valid(a.get(), token, clock.instant())) {
          return a;
        }
      } catch (SQLException e) {
        log.warn("instance call: database: {}", e.getMessage());
        unavailable(ctx);
        return Optional.empty();
      }
    }
    ctx.header("WWW-Authenticate", "Bearer");
    out.send(ctx, 401, Map.of("error", "a live instance token is required"));
    return Optional.empty();
  }

  private void unavailable(Context ctx) {
    ctx.header("Retry-After", "5");
    try {
      out.send(ctx, 503, Map.of("error", "database busy or unavailable"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void credentials(Context ctx, InstanceRepository.Access instance) throws IOException {
    String file = FILES.get(ctx.pathParam("file"));
    if (file == null) {
      out.send(ctx, 404, Map.of("error", "no such credentials file"));
      return;
    }
    Optional<byte[]> content = jitFile(instance.jitConfig(), file);
    if (content.isEmpty()) {
      // Fetched already and the runner reported itself installed, or never had a usable config.
      out.send(ctx, 404, Map.of("error", "the runner's just-in-time config is no longer here"));
      return;
    }
    log.info(
        "instance {}: its runner fetched credentials/{}", instance.name(), ctx.pathParam("file"));
    ctx.status(200).contentType("application/octet-stream").result(content.get());
  }

  /** One file of an encoded JIT config: base64 of {".runner": base64, ...}. */
  private Optional<byte[]> jitFile(String encoded, String file) {
    if (encoded == null) {
      return Optional.empty();
    }
    try {
      JsonNode files = out.mapper().readTree(Base64.getDecoder().decode(encoded));
      JsonNode f = files == null ? null : files.get(file);
      if (f == null || !f.isTextual()) {
        return Optional.empty();
      }
      return Optional.of(Base64.getDecoder().decode(f.asText()));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static String serviceName(String instanceName) {
    return "actions.runner." + instanceName;
  }

  private void serviceName(Context ctx, InstanceRepository.Access instance) {
    ctx.status(200).contentType("text/plain").result(serviceName(instance.name()));
  }

  private void unitFile(Context ctx, InstanceRepository.Access instance) throws IOException {
    String user = ctx.queryParam("runAsUser");
    if (user == null || user.isBlank()) {
      user = "runner";
    }
    if (!USER.matcher(user).matches()) {
      out.send(ctx, 400, Map.of("error", "runAsUser must be a user name"));
      return;
    }
    String unit =
        "[Unit]\n"
            + "Description=GitHub Actions Runner ("
            + serviceName(instance.name())
            + ")\n"
            + "After=network.target\n\n"
            + "[Service]\n"
            + "ExecStart=/home/"
            + user
            + "/actions-runner/runsvc.sh\n"
            + "User="
            + user
            + "\n"
            + "WorkingDirectory=/home/"
            + user
            + "/actions-runner\n"
            + "KillMode=process\n"
            + "KillSignal=SIGTERM\n"
            + "TimeoutStopSec=5min\n\n"
            + "[Install]\n"
            + "WantedBy=multi-user.target\n";
    ctx.status(200).contentType("text/plain").result(unit.getBytes(StandardCharsets.UTF_8));
  }

  private void certBundle(Context ctx, InstanceRepository.Access instance) throws IOException {
    out.send(ctx, 200, Map.of("root_certificates", Map.of()));
  }

  private void runnerMetadata(Context ctx, InstanceRepository.Access instance) throws IOException {
    out.send(
        ctx,
        200,
        Map.of(
            "runner_name", instance.name(),
            "pool", instance.pool(),
            "jit_enabled", true));
  }

  private void registrationToken(Context ctx, InstanceRepository.Access instance)
      throws IOException {
    out.send(
        ctx,
        409,
        Map.of("error", "Runway's runners are just-in-time: fetch credentials/* instead"));
  }

  private void status(Context ctx, InstanceRepository.Access instance)
      throws IOException, SQLException {
    JsonNode body;
    try {
      body = out.mapper().readTree(ctx.bodyAsBytes());
    } catch (IOException e) {
      out.send(ctx, 400, Map.of("error", "the body must be JSON"));
      return;
    }
    String status = body == null ? "" : body.path("status").asText("");
    if (!STATUSES.contains(status)) {
      out.send(ctx, 400, Map.of("error", "status must be one of " + STATUSES));
      return;
    }
    String message = oneLine(body.path("message").asText(""));
    try (Connection c = ds.getConnection()) {
      repo.bootStatus(c, instance.claimId(), status, message, clock.instant());
    }
    if (!"installing".equals(status)) {
      log.info("instance {}: bootstrap says {}: {}", instance.name(), status, message);
    }
    onBootStatus.run();
    out.send(ctx, 200, Map.of("status", status));
  }

  private void systemInfo(Context ctx, InstanceRepository.Access instance) throws IOException {
    JsonNode body;
    try {
      body = out.mapper().readTree(ctx.bodyAsBytes());
    } catch (IOException e) {
      out.send(ctx, 400, Map.of("error", "the body must be JSON"));
      return;
    }
    log.info(
        "instance {}: {} {}",
        instance.name(),
        oneLine(body == null ? "" : body.path("os_name").asText("")),
        oneLine(body == null ? "" : body.path("os_version").asText("")));
    out.send(ctx, 200, Map.of("ok", true));
  }

  private static String oneLine(String s) {
    String line = s.replaceAll("[\\r\\n\\t]+", " ").strip();
    return line.length() > MESSAGE_MAX ? line.substring(0, MESSAGE_MAX) : line;
  }
}

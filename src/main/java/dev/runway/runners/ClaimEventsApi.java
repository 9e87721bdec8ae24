package dev.runway.runners;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.claims.ClaimsApi;
import dev.runway.claims.PoolTokens;
import dev.runway.platform.http.Bulkhead;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/claims/{id}/events}: the agent that started a claim's runner reports on it,
 * with its pool's bearer token. The body is one event:
 *
 * <pre>
 * {"event": "launching"}
 * {"event": "started"}
 * {"event": "exited", "exit_code": 1, "job_started": false,
 *  "deprecated_version": false, "killed": null | "job_timeout" | "stopped",
 *  "last_stderr_line": "..." | null}
 * </pre>
 *
 * <ul>
 *   <li>200 {@code {claim_id, state, result: applied|already}}: done, or it had already happened
 *   <li>409 {@code {error, state}}: impossible from the claim's state; nothing changed
 *   <li>400: not one of the events above; 401: no live token of the claim's pool; 404: no such
 *       claim; 503 with {@code Retry-After}: the database does not answer, or the events' bulkhead
 *       is full
 * </ul>
 */
public final class ClaimEventsApi implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(ClaimEventsApi.class);

  private final DataSource ds;
  private final PoolTokens tokens;
  private final RunnerStates states;
  private final JsonResponses out;
  private final Bulkhead bulkhead;

  /**
   * @param bulkhead threads of the events' own, apart from the public listener's
   */
  public ClaimEventsApi(
      DataSource ds, PoolTokens tokens, RunnerStates states, JsonResponses out, Bulkhead bulkhead) {
    this.bulkhead = bulkhead;
    this.ds = ds;
    this.tokens = tokens;
    this.states = states;
    this.out = out;
  }

  public void post(Context ctx) {
    bulkhead.handle(
        ctx,
        () -> {
          postOnBulkhead(ctx);
          return CompletableFuture.completedFuture(null);
        });
  }

  /** Runs on the bulkhead's threads: the database checkouts and the body read happen here. */
  private void postOnBulkhead(Context ctx) throws IOException {
    long claimId;
    try {
      claimId = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      out.send(ctx, 404, Map.of("error", "no claim " + ctx.pathParam("id")));
      return;
    }
    ClaimEvent event;
    try {
      event = parse(out.mapper().readTree(ctx.bodyAsBytes()));
    } catch (IOException | IllegalArgumentException e) {
      out.send(ctx, 400, Map.of("error", "bad event: " + e.getMessage()));
      return;
    }
    try {
      Optional<String> pool = states.poolOf(claimId);
      if (pool.isEmpty()) {
        out.send(ctx, 404, Map.of("error", "no claim " + claimId));
        return;
      }
      boolean authentic;
      try (Connection c = ds.getConnection()) {
        authentic =
            tokens.authenticate(c, pool.get(), ClaimsApi.bearer(ctx.header("Authorization")));
      }
      if (!authentic) {
        ctx.header("WWW-Authenticate", "Bearer");
        out.send(
            ctx,
            401,
            Map.of("error", "a live bearer token of pool " + pool.get() + " is required"));
        return;
      }
      answer(ctx, claimId, states.record(claimId, event));
    } catch (SQLException e) {
      log.warn("event for claim {}: database: {}", claimId, e.getMessage());
      ctx.header("Retry-After", "5");
      out.send(ctx, 503, Map.of("error", "database busy or unavailable"));
    }
  }

  private void answer(Context ctx, long claimId, Transition t) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("claim_id", claimId);
    switch (t.kind()) {
      case APPLIED, ALREADY -> {
        body.put("state", t.state().label());
        body.put("result", t.kind() == Transition.Kind.APPLIED ? "applied" : "already");
        out.send(ctx, 200, body);
      }
      case REFUSED -> {
        body.put("state", t.state().label());
        body.put("error", t.detail());
        out.send(ctx, 409, body);
      }
      case UNKNOWN_CLAIM -> out.send(ctx, 404, Map.of("error", "no claim " + claimId));
    }
  }

  /** Reads one event; unknown names and wrongly typed fields are refused. */
  public static ClaimEvent parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object");
    }
    String name = body.path("event").asText("");
    return switch (name) {
      case "launching" -> new ClaimEvent.Launching();
      case "started" -> new ClaimEvent.Started();
      case "exited" -> exited(body);
      default -> throw new IllegalArgumentException("event must be launching, started or exited");
    };
  }

  private static ClaimEvent.Exited exited(JsonNode body) {
    JsonNode code = body.path("exit_code");
    if (!code.isMissingNode() && !code.isNull() && !code.isInt()) {
      throw new IllegalArgumentException("exit_code must be an integer or null");
    }
    JsonNode started = body.path("job_started");
    if (!started.isBoolean()) {
      throw new IllegalArgumentException("exited needs job_started (true or false)");
    }
    JsonNode deprecated = body.path("deprecated_version");
    if (!deprecated.isMissingNode() && !deprecated.isNull() && !deprecated.isBoolean()) {
      throw new IllegalArgumentException("deprecated_version must be a boolean");
    }
    JsonNode killed = body.path("killed");
    ClaimEvent.Kill kill = null;
    if (!killed.isMissingNode() && !killed.isNull()) {
      kill =
          switch (killed.asText()) {
            case "job_timeout" -> ClaimEvent.Kill.JOB_TIMEOUT;
            case "stopped" -> ClaimEvent.Kill.STOPPED;
            default ->
                throw new IllegalArgumentException("killed must be job_timeout, stopped or null");
          };
    }
    JsonNode stderr = body.path("last_stderr_line");
    if (!stderr.isMissingNode() && !stderr.isNull() && !stderr.isTextual()) {
      throw new IllegalArgumentException("last_stderr_line must be a string or null");
    }
    // Longer lines are cut, not refused: the agent bounds it too, and the exit must still count.
    return new ClaimEvent.Exited(
        code.isInt() ? code.asInt() : null,
        started.asBoolean(),
        deprecated.asBoolean(false),
        kill,
        stderr.isTextual() ? stderr.asText() : null);
  }

  @Override
  public void register(Listeners listeners) {
    listeners.publicPort().post("/api/v1/claims/{id}/events", this::post);
  }
}

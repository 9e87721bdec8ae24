package dev.runway.claims;

import dev.runway.platform.config.Durations;
import dev.runway.platform.http.Bulkhead;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.http.Listeners;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/pools/{pool}/claims[?wait=30s]}: a runner agent, authenticated by its pool's
 * bearer token, claims the pool's oldest claimable job and gets a just-in-time runner config for
 * it. With {@code wait} the request is held (at most 60 s) until a job is claimable; 204 when the
 * wait ends first.
 *
 * <ul>
 *   <li>200: claimed; the job, the runner name, the encoded JIT config, the lease's end
 *   <li>204: nothing claimable now ({@code Runway-Claim-Result} says why)
 *   <li>401: token missing, wrong, revoked or of another pool
 *   <li>404: the pool source does not list the pool
 *   <li>502: GitHub did not register the runner; the job is claimable again
 *   <li>400: {@code wait} is not a duration
 *   <li>503 with {@code Retry-After}: pool source or database unavailable, no GitHub App, too many
 *       claimers already waiting, the claims' bulkhead full, GitHub busy (every one of Runway's
 *       GitHub request slots taken until the claim deadline), GitHub's rate limit pausing the
 *       installation (its reset is the {@code Retry-After}), or GitHub did not register the runner
 *       within the claim deadline (in the last three cases the claim was released)
 * </ul>
 */
public final class ClaimsApi implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(ClaimsApi.class);

  private final DataSource ds;
  private final PoolTokens tokens;
  private final Claims claims;
  private final LongPollClaims longPoll;
  private final JsonResponses out;
  private final Bulkhead bulkhead;

  /**
   * @param bulkhead the claims' own threads: a claim blocks on GitHub and on the main pool, and
   *     must never do so on a thread of the public listener, which the webhook needs
   */
  public ClaimsApi(
      DataSource ds,
      PoolTokens tokens,
      Claims claims,
      LongPollClaims longPoll,
      JsonResponses out,
      Bulkhead bulkhead) {
    this.bulkhead = bulkhead;
    this.ds = ds;
    this.tokens = tokens;
    this.claims = claims;
    this.longPoll = longPoll;
    this.out = out;
  }

  /** An HTTP answer. */
  private record Answer(int status, Object body, Map<String, String> headers) {}

  public void claim(Context ctx) {
    bulkhead.handle(ctx, () -> claimOnBulkhead(ctx));
  }

  /** Runs on the bulkhead's threads; the future completes when the answer is set. */
  private CompletableFuture<?> claimOnBulkhead(Context ctx) throws IOException {
    CompletableFuture<Void> answered = CompletableFuture.completedFuture(null);
    String pool = ctx.pathParam("pool");
    Duration wait;
    try {
      wait = waitParam(ctx.queryParam("wait"));
    } catch (IllegalArgumentException e) {
      out.send(ctx, 400, Map.of("error", "wait: " + e.getMessage()));
      return answered;
    }
    boolean authentic;
    try (Connection c = ds.getConnection()) {
      authentic = tokens.authenticate(c, pool, bearer(ctx.header("Authorization")));
    } catch (SQLException e) {
      log.warn("claim in pool {}: token check failed: {}", pool, e.getMessage());
      send(ctx, unavailable("database unavailable", 5));
      return answered;
    }
    if (!authentic) {
      ctx.header("WWW-Authenticate", "Bearer");
      out.send(ctx, 401, Map.of("error", "a live bearer token of pool " + pool + " is required"));
      return answered;
    }
    if (wait.isZero()) {
      send(ctx, claims.claim(pool).accept(new Answers()));
      return answered;
    }
    // The request waits as a future: no thread and no connection are held meanwhile.
    return longPoll
        .claim(pool, wait)
        .thenAccept(
            outcome -> {
              try {
                send(ctx, outcome.accept(new Answers()));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
  }

  /** {@code ?wait=30s}: absent means no wait; more than {@link LongPollClaims#MAX_WAIT} is cut. */
  static Duration waitParam(String text) {
    if (text == null || text.isBlank()) {
      return Duration.ZERO;
    }
    String t = text.trim();
    // A bare number is seconds, as in Retry-After.
    Duration d = t.matches("\\d{1,6}") ? Duration.ofSeconds(Long.parseLong(t)) : Durations.parse(t);
    if (d.isNegative()) {
      throw new IllegalArgumentException("must not be negative");
    }
    return d.compareTo(LongPollClaims.MAX_WAIT) > 0 ? LongPollClaims.MAX_WAIT : d;
  }

  private void send(Context ctx, Answer a) throws IOException {
    a.headers().forEach(ctx::header);
    if (a.body() == null) {
      ctx.status(a.status());
    } else {
      out.send(ctx, a.status(), a.body());
    }
  }

  public static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).trim();
  }

  private static Answer unavailable(String reason, long retryAfter) {
    return new Answer(
        503, Map.of("error", reason), Map.of("Retry-After", String.valueOf(retryAfter)));
  }

  /** The JSON of a successful claim. */
  record ClaimBody(
      ClaimOutcome.Job job,
      long claimId,
      String runnerName,
      String encodedJitConfig,
      Instant leaseExpiresAt) {
    @Override
    public String toString() {
      return "ClaimBody[claimId=" + claimId + ", encodedJitConfig=<redacted>]";
    }
  }

  private static final class Answers implements ClaimOutcome.Visitor<Answer> {
    @Override
    public Answer claimed(ClaimOutcome.Claimed c) {
      return new Answer(
          200,
          new ClaimBody(
              c.job(), c.claimId(), c.runnerName(), c.encodedJitConfig(), c.leaseExpiresAt()),
          Map.of("Cache-Control", "no-store"));
    }

    @Override
    public Answer nothing(ClaimOutcome.Nothing n) {
      return new Answer(204, null, Map.of("Runway-Claim-Result", n.reason().label()));
    }

    @Override
    public Answer unknownPool(ClaimOutcome.UnknownPool u) {
      return new Answer(
          404, Map.of("error", "the pool source lists no pool " + u.pool()), Map.of());
    }

    @Override
    public Answer unavailable(ClaimOutcome.Unavailable u) {
      return ClaimsApi.unavailable(u.reason(), u.retryAfterSeconds());
    }

    @Override
    public Answer deadlineExceeded(ClaimOutcome.DeadlineExceeded d) {
      return ClaimsApi.unavailable(d.message(), d.retryAfterSeconds());
    }

    @Override
    public Answer gitHubHeld(ClaimOutcome.GitHubHeld h) {
      return ClaimsApi.unavailable(h.message(), h.retryAfterSeconds());
    }

    @Override
    public Answer configError(ClaimOutcome.ConfigError e) {
      // The result header lets the agent tell a configuration error from a busy Runway.
      return new Answer(
          503,
          Map.of("error", "configuration error: " + e.cause()),
          Map.of(
              "Retry-After",
              String.valueOf(e.retryAfterSeconds()),
              "Runway-Claim-Result",
              "github_config"));
    }

    @Override
    public Answer gitHubFailed(ClaimOutcome.GitHubFailed f) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", f.message());
      return new Answer(502, body, Map.of());
    }
  }

  @Override
  public void register(Listeners listeners) {
    listeners.publicPort().post("/api/v1/pools/{pool}/claims", this::claim);
  }
}

package dev.runway.operators;

import dev.runway.platform.auth.BearerTokens;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a request on the management listener comes from an operator, by the operator
 * bearer token it presents, and counts every decision in {@code
 * runway_admin_requests_total{result}}.
 *
 * <p>{@link #authenticate(String)} takes a bare token, so that a later web UI can log an operator
 * in with the same tokens (and keep a session cookie) without going through a header. {@link
 * #require} is the before-handler of {@code /api/v1/*}.
 */
public final class OperatorAuthenticator {
  private static final Logger log = LoggerFactory.getLogger(OperatorAuthenticator.class);

  /** The challenge of a 401, as RFC 6750 spells it. */
  public static final String CHALLENGE = "Bearer realm=\"runway\"";

  private final DataSource ds;
  private final OperatorTokens tokens;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public OperatorAuthenticator(
      DataSource ds, OperatorTokens tokens, Clock clock, MeterRegistry registry) {
    this.ds = ds;
    this.tokens = tokens;
    this.clock = clock;
    this.registry = registry;
  }

  /** What checking one request's credentials came to. */
  public sealed interface Verdict {
    /** The {@code result} label of {@code runway_admin_requests_total}. */
    String result();
  }

  public record Authenticated(OperatorTokens.Operator operator) implements Verdict {
    @Override
    public String result() {
      return "authorized";
    }
  }

  /** No token, or one that is not a live operator token. */
  public record Rejected(boolean tokenPresented) implements Verdict {
    @Override
    public String result() {
      return tokenPresented ? "invalid_token" : "missing_token";
    }
  }

  /** The tokens could not be read: the database does not answer. */
  public record Unavailable() implements Verdict {
    @Override
    public String result() {
      return "unavailable";
    }
  }

  /** Checks a bare token (a header's or a login form's) and counts the decision. */
  public Verdict authenticate(String token) {
    Verdict v = check(token);
    counter(v.result()).increment();
    return v;
  }

  private Verdict check(String token) {
    if (token == null || token.isEmpty()) {
      return new Rejected(false);
    }
    try (Connection c = ds.getConnection()) {
      Optional<OperatorTokens.Operator> operator = tokens.authenticate(c, token, clock.instant());
      return operator.<Verdict>map(Authenticated::new).orElseGet(() -> new Rejected(true));
    } catch (SQLException e) {
      log.warn("operator token check failed: {}", e.getMessage());
      return new Unavailable();
    }
  }

  /**
   * Before-handler: lets an operator's request through; answers anything else with 401 and a {@code
   * WWW-Authenticate} challenge (503 with {@code Retry-After} while the database is down), and
   * skips the endpoint.
   */
  public void require(Context ctx) {
    Verdict v = authenticate(BearerTokens.fromHeader(ctx.header("Authorization")));
    if (v instanceof Authenticated a) {
      ctx.attribute("operator", a.operator().name());
      return;
    }
    ctx.skipRemainingHandlers();
    if (v instanceof Unavailable) {
      ctx.header("Retry-After", "5");
      ctx.status(503).json(Map.of("error", "cannot check operator tokens: database unavailable"));
      return;
    }
    log.debug("refused {} {}: {}", ctx.method(), ctx.path(), v.result());
    ctx.header("WWW-Authenticate", CHALLENGE);
    ctx.status(401)
        .json(
            Map.of(
                "error",
                "an operator token is required: Authorization: Bearer <token>"
                    + " (runway operators token create NAME)"));
  }

  private Counter counter(String result) {
    return counters.computeIfAbsent(
        result,
        r ->
            Counter.builder("runway.admin.requests")
                .description("Requests to the management listener's operator APIs, by result")
                .tag("result", r)
                .register(registry));
  }
}

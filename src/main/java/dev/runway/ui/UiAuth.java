package dev.runway.ui;

import dev.runway.operators.OperatorAuthenticator;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.auth.BearerTokens;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may see the UI: the login form (an operator token, checked by {@link OperatorAuthenticator}
 * and never stored), the session cookie, the CSRF check of every state-changing request, and the
 * headers every answer carries. Pages and actions are wrapped by {@link #page} and {@link #action},
 * so no handler runs without a live session.
 */
final class UiAuth {
  private static final Logger log = LoggerFactory.getLogger(UiAuth.class);

  static final String SESSION_COOKIE = "runway_ui";
  static final String LOGIN_COOKIE = "runway_ui_login";
  static final String CSRF_FIELD = "_csrf";

  private final DataSource ds;
  private final OperatorAuthenticator authenticator;
  private final OperatorTokens tokens;
  private final UiSessions sessions;
  private final Templates templates;

  UiAuth(
      DataSource ds,
      OperatorAuthenticator authenticator,
      OperatorTokens tokens,
      UiSessions sessions,
      Templates templates) {
    this.ds = ds;
    this.authenticator = authenticator;
    this.tokens = tokens;
    this.sessions = sessions;
    this.templates = templates;
  }

  /** The routes open without a session: the login form and the static assets; and log out. */
  void routes(RoutesConfig r) {
    r.get("/ui/login", this::loginForm);
    r.post("/ui/login", this::login);
    r.get("/ui/assets/{name}", this::asset);
    r.post("/ui/logout", action(this::logout));
  }

  interface SessionHandler {
    void handle(Context ctx, UiSessions.Session session) throws Exception;
  }

  /** A page: without a live session, a redirect to the login form and nothing else. */
  Handler page(SessionHandler h) {
    return ctx -> {
      secure(ctx);
      Optional<UiSessions.Session> s = session(ctx);
      if (s.isEmpty()) {
        seeOther(ctx, "/ui/login");
        return;
      }
      guarded(ctx, s.get(), h);
    };
  }

  /** A state-changing request: refused with 403 without a live session and its CSRF token. */
  Handler action(SessionHandler h) {
    return ctx -> {
      secure(ctx);
      Optional<UiSessions.Session> s = session(ctx);
      if (s.isEmpty()) {
        ctx.status(403).contentType("text/plain").result("log in first: /ui/login");
        return;
      }
      if (!UiSessions.csrfMatches(s.get(), ctx.formParam(CSRF_FIELD))) {
        log.info(
            "refused {} {} from {}: CSRF token missing or wrong",
            ctx.method(),
            ctx.path(),
            s.get().operator);
        ctx.status(403).contentType("text/plain").result("missing or wrong CSRF token");
        return;
      }
      guarded(ctx, s.get(), h);
    };
  }

  /** Runs a handler; the database being down is a page that says so, not a stack trace. */
  private void guarded(Context ctx, UiSessions.Session s, SessionHandler h) throws Exception {
    try {
      h.handle(ctx, s);
    } catch (SQLException e) {
      log.warn("{} {}: database unavailable: {}", ctx.method(), ctx.path(), e.getMessage());
      ctx.status(503)
          .html(
              templates.render(
                  "error.jte",
                  new Views.ErrorPage(
                      "Database unavailable",
                      "PostgreSQL does not answer; webhooks still go to the spool. Try again in a"
                          + " moment.")));
    }
  }

  private Optional<UiSessions.Session> session(Context ctx) {
    String id = ctx.cookie(SESSION_COOKIE);
    Optional<UiSessions.Session> s = sessions.find(id);
    if (s.isPresent() && sessions.dueForCheck(s.get()) && !tokenStillLive(s.get())) {
      sessions.closeToken(s.get().tokenId);
      return Optional.empty();
    }
    return s;
  }

  /** A revoked token ends its sessions; when the database cannot say, the session goes on. */
  private boolean tokenStillLive(UiSessions.Session s) {
    try (Connection c = ds.getConnection()) {
      boolean live =
          tokens.list(c).stream().anyMatch(t -> t.id() == s.tokenId && t.revokedAt() == null);
      sessions.checked(s);
      return live;
    } catch (SQLException e) {
      return true;
    }
  }

  /** Headers every UI answer carries: no caching, no framing, scripts only from this origin. */
  private static void secure(Context ctx) {
    ctx.header("Cache-Control", "no-store");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  }

  private void loginForm(Context ctx) {
    secure(ctx);
    if (session(ctx).isPresent()) {
      seeOther(ctx, "/ui");
      return;
    }
    renderLogin(ctx, 200, null);
  }

  /** The login form's CSRF token is a double-submit cookie: there is no session to hold it yet. */
  private void renderLogin(Context ctx, int status, String error) {
    String csrf = BearerTokens.newSecret("");
    setCookie(ctx, LOGIN_COOKIE, csrf, "/ui/login", -1);
    ctx.status(status).html(templates.render("login.jte", new Views.LoginPage(csrf, error)));
  }

  private void login(Context ctx) {
    secure(ctx);
    String expected = ctx.cookie(LOGIN_COOKIE);
    String presented = ctx.formParam(CSRF_FIELD);
    if (expected == null
        || presented == null
        || !MessageDigest.isEqual(BearerTokens.hash(expected), BearerTokens.hash(presented))) {
      ctx.status(403)
          .contentType("text/plain")
          .result("missing or wrong CSRF token; reload the form");
      return;
    }
    OperatorAuthenticator.Verdict v = authenticator.authenticate(ctx.formParam("token"));
    if (v instanceof OperatorAuthenticator.Authenticated a) {
      UiSessions.Opened o = sessions.open(a.operator().tokenId(), a.operator().name());
      setCookie(ctx, SESSION_COOKIE, o.id(), "/ui", -1);
      setCookie(ctx, LOGIN_COOKIE, "", "/ui/login", 0);
      log.info("operator {} logged in to the UI", a.operator().name());
      seeOther(ctx, "/ui");
    } else if (v instanceof OperatorAuthenticator.Unavailable) {
      renderLogin(ctx, 503, "The database does not answer, so the token cannot be checked.");
    } else {
      renderLogin(
          ctx,
          401,
          // Plain text: the page escapes it, so markup (or Markdown backticks) would show as typed.
          "That is not a live operator token. Create one with the command below.");
    }
  }

  private void logout(Context ctx, UiSessions.Session s) {
    sessions.close(ctx.cookie(SESSION_COOKIE));
    setCookie(ctx, SESSION_COOKIE, "", "/ui", 0);
    seeOther(ctx, "/ui/login");
  }

  /**
   * Sets a cookie the page's scripts cannot read ({@code HttpOnly}) and no other site can send
   * ({@code SameSite=Strict}); {@code Secure} when the request came over HTTPS (directly or through
   * a proxy that says so), since the management port is often plain HTTP inside a cluster.
   */
  private static void setCookie(Context ctx, String name, String value, String path, int maxAge) {
    boolean https =
        "https".equalsIgnoreCase(ctx.scheme())
            || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    ctx.res()
        .addHeader(
            "Set-Cookie",
            name
                + "="
                + value
                + "; Path="
                + path
                + (maxAge >= 0 ? "; Max-Age=" + maxAge : "")
                + "; HttpOnly; SameSite=Strict"
                + (https ? "; Secure" : ""));
  }

  private void asset(Context ctx) {
    secure(ctx);
    Templates.Asset a = templates.asset(ctx.pathParam("name"));
    if (a == null) {
      ctx.status(404).contentType("text/plain").result("not found");
      return;
    }
    ctx.header("Cache-Control", "private, max-age=3600");
    ctx.contentType(a.contentType()).result(a.bytes());
  }

  /** A 303 to {@code path} with an empty body (Javalin's redirect writes one). */
  static void seeOther(Context ctx, String path) {
    ctx.status(303).header("Location", path).result("");
  }
}

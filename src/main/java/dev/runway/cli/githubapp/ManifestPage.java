package dev.runway.cli.githubapp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The one-page local side of GitHub's manifest flow, on 127.0.0.1 only.
 *
 * <ol>
 *   <li>{@code GET /} serves a form that posts the manifest to GitHub's new-App page, with a random
 *       {@code state}.
 *   <li>GitHub sends the browser back to {@code GET /callback?code=...&state=...}. A {@code state}
 *       other than ours is refused with 400 and the page keeps waiting: the redirect did not come
 *       from the form this process served (another tab, another run, or a forged link).
 *   <li>The first callback with our {@code state} hands its code to {@code onCode} (exchange and
 *       save) once; {@link #result()} completes with its outcome.
 * </ol>
 */
final class ManifestPage implements AutoCloseable {

  static final String CALLBACK = "/callback";

  private final HttpServer server;
  private final ExecutorService executor;
  private final String state;
  private final GitHubUrls urls;
  private final String org;
  private final Function<URI, AppManifest> manifest;
  private final Function<String, CreatedApp> onCode;
  private final Consumer<String> notice;
  private final AtomicBoolean codeTaken = new AtomicBoolean();
  private final CompletableFuture<CreatedApp> result = new CompletableFuture<>();

  /**
   * @param manifest builds the manifest for the redirect URL this page answers on
   * @param onCode exchanges the code and saves the App's secrets; its exception fails the result
   * @param notice where refused redirects are reported (the terminal), one line each
   */
  ManifestPage(
      int port,
      GitHubUrls urls,
      String org,
      Function<URI, AppManifest> manifest,
      Function<String, CreatedApp> onCode,
      Consumer<String> notice)
      throws IOException {
    this.urls = urls;
    this.org = org;
    this.manifest = manifest;
    this.onCode = onCode;
    this.notice = notice;
    this.state = randomState();
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    this.executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "github-app-page"));
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The page to open in a browser on this machine. */
  URI address() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  URI redirectUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + CALLBACK);
  }

  CompletableFuture<CreatedApp> result() {
    return result;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!"GET".equals(exchange.getRequestMethod())) {
        send(exchange, 405, page("Not here", "<p>This page only answers GET.</p>"));
      } else if (path.equals("/")) {
        send(exchange, 200, formPage());
      } else if (path.equals(CALLBACK)) {
        callback(exchange);
      } else {
        send(exchange, 404, page("Not found", "<p>Open <a href=\"/\">the start page</a>.</p>"));
      }
    }
  }

  private void callback(HttpExchange exchange) throws IOException {
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    String code = query.get("code");
    if (!sameState(query.get("state"))) {
      notice.accept(
          "refused a redirect whose state does not match this page's; still waiting for GitHub");
      send(
          exchange,
          400,
          page(
              "Refused",
              "<p>This redirect does not belong to the form this page served (its state does not"
                  + " match), so nothing was exchanged or saved. Start again from <a href=\"/\">the"
                  + " start page</a>.</p>"));
      return;
    }
    if (code == null || code.isBlank()) {
      send(exchange, 400, page("Refused", "<p>GitHub's redirect carries no code.</p>"));
      return;
    }
    if (!codeTaken.compareAndSet(false, true)) {
      send(
          exchange,
          409,
          page("Already done", "<p>This App was already handled; see the terminal.</p>"));
      return;
    }
    try {
      CreatedApp app = onCode.apply(code);
      send(
          exchange,
          200,
          page(
              "App created",
              "<p>GitHub App <b>"
                  + html(String.valueOf(app.name()))
                  + "</b> (id "
                  + app.id()
                  + ") is created and its key and webhook secret are saved. Install it on the"
                  + " accounts whose jobs Runway runs, then return to the terminal.</p>"
                  + "<p><a href=\""
                  + html(InstallLink.of(app, urls))
                  + "\">Install the App</a></p>"));
      result.complete(app);
    } catch (RuntimeException e) {
      send(
          exchange,
          502,
          page("Not created here", "<p>" + html(String.valueOf(e.getMessage())) + "</p>"));
      result.completeExceptionally(e);
    }
  }

  private String formPage() {
    AppManifest m = manifest.apply(redirectUrl());
    URI action = urls.newAppForm(org, state);
    String where = org == null ? "your GitHub account" : "the organization " + html(org);
    return page(
        "Create Runway's GitHub App",
        "<p>This creates a private GitHub App named <b>"
            + html(m.name())
            + "</b> on "
            + where
            + " at "
            + html(urls.web().toString())
            + ", with its webhook at <code>"
            + html(m.webhookUrl().toString())
            + "</code>. GitHub asks you to confirm the name, then sends you back here.</p>"
            + "<form action=\""
            + html(action.toString())
            + "\" method=\"post\">"
            + "<input type=\"hidden\" name=\"manifest\" value=\""
            + html(m.json(false))
            + "\">"
            + "<input type=\"hidden\" name=\"state\" value=\""
            + html(state)
            + "\">"
            + "<button type=\"submit\">Create the App on GitHub</button></form>"
            + "<details><summary>The manifest</summary><pre>"
            + html(m.json(true))
            + "</pre></details>");
  }

  private boolean sameState(String given) {
    return given != null
        && MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8), state.getBytes(StandardCharsets.UTF_8));
  }

  private static String randomState() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new HashMap<>();
    if (raw == null) {
      return m;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        m.putIfAbsent(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  private static String page(String title, String body) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>"
        + html(title)
        + "</title></head><body><h1>"
        + html(title)
        + "</h1>"
        + body
        + "</body></html>";
  }

  static String html(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static void send(HttpExchange exchange, int status, String html) throws IOException {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}

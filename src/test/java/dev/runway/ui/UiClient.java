package dev.runway.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The UI over plain HTTP, for what a browser would not let a test do (omit a CSRF token), and for
 * tests of other packages that check what the UI shows.
 */
public final class UiClient {
  final HttpClient http = HttpClient.newHttpClient();
  private final URI base;

  public UiClient(URI base) {
    this.base = base;
  }

  /** Logs in through the form as a browser does and returns the session cookie ({@code k=v}). */
  public String login(String token) throws Exception {
    HttpResponse<String> form = get("/ui/login", null);
    HttpResponse<String> in =
        post(
            "/ui/login",
            cookie(form, UiAuth.LOGIN_COOKIE),
            Map.of("token", token, "_csrf", csrf(form.body())));
    assertThat(in.statusCode()).as("login").isEqualTo(303);
    return cookie(in, UiAuth.SESSION_COOKIE);
  }

  public HttpResponse<String> get(String path, String cookie) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String cookie, Map<String, String> form) throws Exception {
    StringBuilder body = new StringBuilder();
    form.forEach(
        (k, v) ->
            body.append(body.length() == 0 ? "" : "&")
                .append(k)
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code NAME=value} of a cookie the answer sets. */
  static String cookie(HttpResponse<?> r, String name) {
    return r.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith(name + "="))
        .map(c -> c.substring(0, c.indexOf(';')))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " cookie"));
  }

  /** The CSRF token of the first form in a page. */
  static String csrf(String html) {
    Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(html);
    assertThat(m.find()).as("a CSRF field in the page").isTrue();
    return m.group(1);
  }
}

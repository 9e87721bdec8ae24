package dev.runway.cli.githubapp;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.runway.Main;
import dev.runway.platform.github.TestKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives {@code runway github-app create} as a person with a browser would, with WireMock standing
 * in for GitHub (its web form and its API under {@code /api/v3}, as on GitHub Enterprise Server):
 * open the local page, post its form to GitHub, follow GitHub's redirect back with a code.
 */
class GitHubAppCreateIT {

  private static final TestKeys KEYS = TestKeys.generate();
  private static final String WEBHOOK_SECRET = "whsec-0123456789abcdef";
  private static final String CLIENT_SECRET = "client-secret-fedcba9876543210";
  private static final Pattern ACTION = Pattern.compile("<form action=\"([^\"]+)\"");
  private static final Pattern MANIFEST =
      Pattern.compile("<input type=\"hidden\" name=\"manifest\" value=\"([^\"]+)\"");

  @TempDir Path tmp;

  private final HttpClient browser = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private WireMockServer github;

  @BeforeEach
  void startGitHub() {
    github = new WireMockServer(options().dynamicPort().notifier(new ConsoleNotifier(false)));
    github.start();
    github.stubFor(
        post(urlPathEqualTo("/settings/apps/new"))
            .willReturn(aResponse().withStatus(200).withBody("<html>name your App</html>")));
    github.stubFor(
        post(urlPathEqualTo("/organizations/acme/settings/apps/new"))
            .willReturn(aResponse().withStatus(200).withBody("<html>name your App</html>")));
    github.stubFor(
        post(anyUrl())
            .atPriority(10)
            .willReturn(
                aResponse()
                    .withStatus(404)
                    .withHeader("Content-Type", "application/json")
                    .withBody("{\"message\":\"Not Found\"}")));
    github.stubFor(
        post(urlPathEqualTo("/api/v3/app-manifests/good-code/conversions"))
            .willReturn(
                aResponse()
                    .withStatus(201)
                    .withHeader("Content-Type", "application/json")
                    .withBody(conversionAnswer())));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    github.stop();
  }

  @Test
  void creates_the_app_through_the_local_page_and_saves_its_secrets_owner_only() throws Exception {
    Path dir = tmp.resolve("app");
    CompletableFuture<Integer> run =
        run(
            "--url",
            "https://runway.example.com/",
            "--github-url",
            github.baseUrl(),
            "--out",
            dir.toString());

    URI page = pageAddress();
    String html = get(page).body();
    URI action = URI.create(unescape(match(ACTION, html)));
    String manifestJson = unescape(match(MANIFEST, html));
    assertThat(action.toString()).startsWith(github.baseUrl() + "/settings/apps/new?state=");
    String state = queryParam(action, "state");

    // The browser posts the form to GitHub, which shows its confirmation page.
    HttpResponse<String> posted =
        postForm(action, Map.of("manifest", manifestJson, "state", state));
    assertThat(posted.statusCode()).isEqualTo(200);
    LoggedRequest atGitHub =
        github.findAll(postRequestedFor(urlPathEqualTo("/settings/apps/new"))).get(0);
    JsonNode manifest = json.readTree(formField(atGitHub.getBodyAsString(), "manifest"));
    assertThat(manifest.path("hook_attributes").path("url").asText())
        .isEqualTo("https://runway.example.com/webhooks/github");
    assertThat(manifest.path("hook_attributes").path("active").asBoolean()).isTrue();
    assertThat(manifest.path("public").asBoolean()).isFalse();
    assertThat(manifest.path("default_events").toString()).isEqualTo("[\"workflow_job\"]");
    assertThat(
            manifest.path("default_permissions").path("organization_self_hosted_runners").asText())
        .isEqualTo("write");
    // write: a pool's rerunOnRunnerLoss reruns jobs (issue 22 item 4).
    assertThat(manifest.path("default_permissions").path("actions").asText()).isEqualTo("write");
    assertThat(manifest.path("default_permissions").path("administration").asText())
        .isEqualTo("write");
    URI redirect = URI.create(manifest.path("redirect_url").asText());
    assertThat(redirect.getHost()).isEqualTo("127.0.0.1");
    assertThat(redirect.getPort()).isEqualTo(page.getPort());

    // A redirect with another state is refused, exchanges nothing, and the command keeps waiting.
    HttpResponse<String> forged = get(withQuery(redirect, "code=good-code&state=not-ours"));
    assertThat(forged.statusCode()).isEqualTo(400);
    assertThat(
            github.findAll(
                postRequestedFor(urlPathEqualTo("/api/v3/app-manifests/good-code/conversions"))))
        .isEmpty();
    assertThat(run).isNotDone();
    assertThat(Files.exists(dir.resolve("private-key.pem"))).isFalse();

    // GitHub's own redirect: the code is exchanged once and the secrets are saved.
    HttpResponse<String> back =
        get(
            withQuery(
                redirect,
                "code=good-code&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8)));
    assertThat(back.statusCode()).isEqualTo(200);
    assertThat(back.body()).contains("/apps/runway-test/installations/new");
    assertThat(run.get()).isZero();

    github.verify(
        1, postRequestedFor(urlPathEqualTo("/api/v3/app-manifests/good-code/conversions")));
    Path key = dir.resolve("private-key.pem");
    Path secret = dir.resolve("webhook-secret");
    assertThat(Files.readString(key)).isEqualTo(KEYS.pkcs1Pem());
    assertThat(Files.readString(secret)).isEqualTo(WEBHOOK_SECRET);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
        .isEqualTo("rw-------");

    String printed = out + "\n" + err + "\n" + back.body();
    assertThat(printed)
        .doesNotContain(KEYS.pkcs1Body().substring(0, 40))
        .doesNotContain(WEBHOOK_SECRET)
        .doesNotContain(CLIENT_SECRET);
    assertThat(out.toString())
        .contains("export RUNWAY_GITHUB_APP_ID=4711")
        .contains("export RUNWAY_GITHUB_PRIVATE_KEY_FILE=" + key.toAbsolutePath())
        .contains("export RUNWAY_WEBHOOK_SECRETS=\"$(cat " + secret.toAbsolutePath() + ")\"")
        .contains("export RUNWAY_GITHUB_API_URL=" + github.baseUrl() + "/api/v3")
        .contains(github.baseUrl() + "/apps/runway-test/installations/new");
    assertThat(err.toString()).contains("state does not match");
  }

  @Test
  void an_organization_app_posts_to_the_organization_form_and_asks_no_administration()
      throws Exception {
    CompletableFuture<Integer> run =
        run(
            "--url",
            "https://runway.example.com",
            "--org",
            "acme",
            "--github-url",
            github.baseUrl(),
            "--out",
            tmp.resolve("org").toString(),
            "--timeout",
            "1m");

    String html = get(pageAddress()).body();
    URI action = URI.create(unescape(match(ACTION, html)));
    JsonNode manifest = json.readTree(unescape(match(MANIFEST, html)));

    assertThat(action.getPath()).isEqualTo("/organizations/acme/settings/apps/new");
    assertThat(manifest.path("default_permissions").has("administration")).isFalse();
    HttpResponse<String> back =
        get(
            withQuery(
                URI.create(manifest.path("redirect_url").asText()),
                "code=good-code&state="
                    + URLEncoder.encode(queryParam(action, "state"), StandardCharsets.UTF_8)));
    assertThat(back.statusCode()).isEqualTo(200);
    assertThat(run.get()).isZero();
  }

  @Test
  void a_redirect_without_a_code_or_that_is_not_a_get_is_refused_and_the_command_keeps_waiting()
      throws Exception {
    CompletableFuture<Integer> run =
        run(
            "--url",
            "https://runway.example.com",
            "--github-url",
            github.baseUrl(),
            "--out",
            tmp.resolve("malformed").toString());
    String html = get(pageAddress()).body();
    String state = queryParam(URI.create(unescape(match(ACTION, html))), "state");
    URI redirect =
        URI.create(json.readTree(unescape(match(MANIFEST, html))).path("redirect_url").asText());
    String ours = "state=" + URLEncoder.encode(state, StandardCharsets.UTF_8);

    assertThat(get(withQuery(redirect, ours)).statusCode()).isEqualTo(400);
    assertThat(postForm(withQuery(redirect, "code=good-code&" + ours), Map.of()).statusCode())
        .isEqualTo(405);
    assertThat(get(withQuery(redirect, "code=good-code")).statusCode()).isEqualTo(400);
    assertThat(run).isNotDone();
    github.verify(
        0, postRequestedFor(urlPathEqualTo("/api/v3/app-manifests/good-code/conversions")));

    assertThat(get(withQuery(redirect, "code=good-code&" + ours)).statusCode()).isEqualTo(200);
    assertThat(run.get()).isZero();
  }

  @Test
  void a_code_github_refuses_saves_nothing_and_fails() throws Exception {
    Path dir = tmp.resolve("refused");
    CompletableFuture<Integer> run =
        run(
            "--url",
            "https://runway.example.com",
            "--github-url",
            github.baseUrl(),
            "--out",
            dir.toString());
    String html = get(pageAddress()).body();
    URI action = URI.create(unescape(match(ACTION, html)));
    JsonNode manifest = json.readTree(unescape(match(MANIFEST, html)));

    HttpResponse<String> back =
        get(
            withQuery(
                URI.create(manifest.path("redirect_url").asText()),
                "code=expired-code&state="
                    + URLEncoder.encode(queryParam(action, "state"), StandardCharsets.UTF_8)));

    assertThat(back.statusCode()).isEqualTo(502);
    assertThat(run.get()).isEqualTo(1);
    assertThat(err.toString()).contains("GitHub answered 404 to the code exchange (Not Found)");
    assertThat(Files.exists(dir.resolve("private-key.pem"))).isFalse();
    assertThat(Files.exists(dir.resolve("webhook-secret"))).isFalse();
  }

  @Test
  void without_an_answer_it_times_out_with_a_clear_message_and_saves_nothing() throws Exception {
    Path dir = tmp.resolve("late");
    int exit =
        run(
                "--url",
                "https://runway.example.com",
                "--github-url",
                github.baseUrl(),
                "--out",
                dir.toString(),
                "--timeout",
                "300ms")
            .get();

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString())
        .contains("GitHub did not send the browser back within 300ms; nothing was saved");
    assertThat(Files.exists(dir)).isFalse();
  }

  @Test
  void refuses_to_overwrite_an_existing_key_before_serving_anything() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("taken"));
    Files.writeString(dir.resolve("private-key.pem"), "another App's key");

    int exit = run("--url", "https://runway.example.com", "--out", dir.toString()).get();

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("private-key.pem already exists");
    assertThat(out.toString()).doesNotContain("Open http");
    assertThat(Files.readString(dir.resolve("private-key.pem"))).isEqualTo("another App's key");
  }

  @Test
  void print_manifest_prints_only_the_manifest() throws Exception {
    int exit =
        run("--url", "https://ci.example.com", "--name", "ci-runway", "--print-manifest").get();

    assertThat(exit).isZero();
    JsonNode manifest = json.readTree(out.toString());
    assertThat(manifest.path("name").asText()).isEqualTo("ci-runway");
    assertThat(manifest.path("hook_attributes").path("url").asText())
        .isEqualTo("https://ci.example.com/webhooks/github");
    assertThat(manifest.has("redirect_url")).isFalse();
    assertThat(manifest.path("default_events").toString()).isEqualTo("[\"workflow_job\"]");
  }

  @Test
  void a_url_github_cannot_call_is_a_usage_error() throws Exception {
    assertThat(run("--url", "runway.example.com", "--print-manifest").get()).isEqualTo(2);
    assertThat(err.toString()).contains("--url must be the http(s) address");
  }

  // ---- helpers ----

  private CompletableFuture<Integer> run(String... args) {
    List<String> all = new ArrayList<>(List.of("github-app", "create"));
    all.addAll(List.of(args));
    PrintWriter o = new PrintWriter(out, true);
    PrintWriter e = new PrintWriter(err, true);
    return CompletableFuture.supplyAsync(
        () -> Main.commandLine(Map.of(), o, e).execute(all.toArray(String[]::new)));
  }

  private URI pageAddress() {
    Pattern open = Pattern.compile("Open (http://127\\.0\\.0\\.1:\\d+/) in a browser");
    await().atMost(Duration.ofSeconds(30)).until(() -> open.matcher(out.toString()).find());
    Matcher m = open.matcher(out.toString());
    m.find();
    return URI.create(m.group(1));
  }

  private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return browser.send(
        HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postForm(URI uri, Map<String, String> fields)
      throws IOException, InterruptedException {
    StringBuilder body = new StringBuilder();
    fields.forEach(
        (k, v) ->
            body.append(body.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return browser.send(
        HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI withQuery(URI uri, String query) {
    return URI.create(uri + "?" + query);
  }

  private static String match(Pattern p, String html) {
    Matcher m = p.matcher(html);
    assertThat(m.find()).as("page contains " + p).isTrue();
    return m.group(1);
  }

  private static String unescape(String s) {
    return s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
  }

  private static String queryParam(URI uri, String name) {
    return formField(uri.getRawQuery(), name);
  }

  private static String formField(String encoded, String name) {
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("no " + name + " in " + encoded);
  }

  private String conversionAnswer() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("id", 4711);
    m.put("slug", "runway-test");
    m.put("name", "runway-test");
    m.put("html_url", github.baseUrl() + "/apps/runway-test");
    m.put("client_id", "Iv1.abc");
    m.put("client_secret", CLIENT_SECRET);
    m.put("webhook_secret", WEBHOOK_SECRET);
    m.put("pem", KEYS.pkcs1Pem());
    try {
      return json.writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

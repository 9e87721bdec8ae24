// Over 400 lines because it is the one typed face of every GitHub endpoint Runway calls, each a
// short method over the same token, retry and deadline plumbing; splitting it by endpoint would
// repeat that plumbing.
package dev.runway.platform.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The GitHub App's REST client, shared by the deliveries CLI, the claims endpoint and the
 * reconcilers.
 *
 * <p>App-level calls authenticate with a JWT from {@link AppJwtSigner}; installation-level calls
 * with an installation token, fetched on first use and cached until {@link #TOKEN_REFRESH_MARGIN}
 * before it expires. Every request has a timeout; 5xx answers and connection errors are retried
 * with backoff, and rate limits are waited out, as the {@link RetryPolicy} says. Failures surface
 * as {@link GitHubException}. Thread-safe.
 */
public final class GitHubClient {

  /** An installation token is replaced this long before GitHub says it expires. */
  public static final Duration TOKEN_REFRESH_MARGIN = Duration.ofMinutes(5);

  /** GitHub requests in flight at most by default: a fifth of GitHub's 100 per App. */
  public static final int DEFAULT_MAX_CONCURRENCY = 20;

  /** GitHub.com's API; GitHub Enterprise Server uses {@code https://HOST/api/v3}. */
  public static final URI DEFAULT_API_URL = URI.create("https://api.github.com");

  private final AppJwtSigner signer;
  private final Clock clock;
  private final ObjectMapper json;
  private final RetryingTransport transport;
  private final Map<Long, InstallationToken> tokens = new ConcurrentHashMap<>();
  private final Map<Long, ReentrantLock> tokenLocks = new ConcurrentHashMap<>();

  private GitHubClient(Builder b) {
    this.signer = b.signer;
    this.clock = b.clock;
    this.json = objectMapper();
    HttpClient http =
        b.httpClient != null
            ? b.httpClient
            : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    this.transport =
        new RetryingTransport(
            stripTrailingSlash(b.apiUrl.toString()),
            http,
            b.clock,
            b.sleeper,
            b.retryPolicy,
            b.meterRegistry,
            b.observer,
            b.random,
            json,
            b.nanoTime,
            new ConcurrencyLimit(b.maxConcurrency, b.meterRegistry),
            new RateLimitPauses(b.clock, b.meterRegistry));
  }

  /**
   * Until when GitHub's rate limit pauses the calls of {@code installationId} (JIT minting among
   * them), if it does: the reset GitHub named, or a second from now while the probe after the reset
   * is still out. Calls made with the App's JWT are paused apart: see {@link #appPausedUntil()}.
   */
  public Optional<Instant> pausedUntil(long installationId) {
    return transport.pausedUntil(RateLimitPauses.installation(installationId));
  }

  /** Until when GitHub's rate limit pauses the calls made with the App's JWT, if it does. */
  public Optional<Instant> appPausedUntil() {
    return transport.pausedUntil(RateLimitPauses.APP);
  }

  /** Starts a client for the App whose JWTs {@code signer} mints. */
  public static Builder builder(AppJwtSigner signer) {
    return new Builder(signer);
  }

  /**
   * The JSON mapping GitHub's payloads need: snake_case names from the records' annotations,
   * ISO-8601 instants, unknown properties ignored.
   */
  public static ObjectMapper objectMapper() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .build();
  }

  // ---- App-level calls (JWT) ----

  /**
   * One page of the App's webhook deliveries, newest first.
   *
   * @param perPage 1 to 100
   * @param cursor the cursor from the previous page, or null for the first page
   * @param status {@code success}, {@code failure}, or null for both (older GHES ignores it)
   */
  public DeliveryPage listDeliveries(int perPage, String cursor, String status) {
    if (perPage < 1 || perPage > 100) {
      throw new IllegalArgumentException("perPage must be within 1..100, was " + perPage);
    }
    StringBuilder path = new StringBuilder("/app/hook/deliveries?per_page=").append(perPage);
    if (cursor != null) {
      path.append("&cursor=").append(URLEncoder.encode(cursor, StandardCharsets.UTF_8));
    }
    if (status != null) {
      path.append("&status=").append(URLEncoder.encode(status, StandardCharsets.UTF_8));
    }
    HttpResponse<String> response = sendAsApp("GET", path.toString(), null);
    List<DeliverySummary> items =
        read(
            response,
            json.getTypeFactory().constructCollectionType(List.class, DeliverySummary.class));
    return new DeliveryPage(
        items == null ? List.of() : items,
        LinkHeader.nextCursor(response.headers().firstValue("Link").orElse(null)));
  }

  /** One delivery attempt with its request headers and payload and the response. */
  public DeliveryDetail getDelivery(long deliveryId) {
    HttpResponse<String> response = sendAsApp("GET", "/app/hook/deliveries/" + deliveryId, null);
    return read(response, json.getTypeFactory().constructType(DeliveryDetail.class));
  }

  /** Asks GitHub to deliver that attempt's event again; GitHub answers 202. */
  public void redeliver(long deliveryId) {
    sendAsApp("POST", "/app/hook/deliveries/" + deliveryId + "/attempts", null);
  }

  /** The App itself ({@code GET /app}): the first call that proves the key matches the App id. */
  public GitHubApp app() {
    return read(sendAsApp("GET", "/app", null), json.constructType(GitHubApp.class));
  }

  /**
   * Every installation of the App ({@code GET /app/installations}, 100 a page, at most 50 pages).
   */
  public List<AppInstallation> installations() {
    JavaType type =
        json.getTypeFactory().constructCollectionType(List.class, AppInstallation.class);
    List<AppInstallation> all = new ArrayList<>();
    for (int page = 1; page <= 50; page++) {
      List<AppInstallation> items =
          read(sendAsApp("GET", "/app/installations?per_page=100&page=" + page, null), type);
      if (items == null || items.isEmpty()) {
        break;
      }
      all.addAll(items);
      if (items.size() < 100) {
        break;
      }
    }
    return List.copyOf(all);
  }

  /**
   * The webhook's URL as the App is configured ({@code GET /app/hook/config}); GitHub masks the
   * secret in this answer, and it is not read here anyway.
   */
  public Optional<String> webhookUrl() {
    JsonNode config = readTree(sendAsApp("GET", "/app/hook/config", null));
    return Optional.ofNullable(config.path("url").asText(null)).filter(url -> !url.isBlank());
  }

  /** An installation token, from the cache while it has more than five minutes to live. */
  public InstallationToken installationToken(long installationId) {
    return installationToken(installationId, transport.defaultDeadline());
  }

  private InstallationToken installationToken(long installationId, Deadline deadline) {
    InstallationToken cached = tokens.get(installationId);
    if (fresh(cached)) {
      return cached;
    }
    // One fetch per installation at a time, waited for within the caller's deadline: with a slow
    // GitHub a monitor would hold every caller past its deadline, one fetch after another.
    ReentrantLock lock = tokenLocks.computeIfAbsent(installationId, id -> new ReentrantLock());
    try {
      if (!lock.tryLock(deadline.remaining().toNanos(), TimeUnit.NANOSECONDS)) {
        throw new GitHubBusyException(
            "GitHub busy: the installation token of "
                + installationId
                + " is being fetched by another call, which did not finish within this deadline",
            "POST",
            "/app/installations/" + installationId + "/access_tokens");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GitHubBusyException(
          "interrupted waiting for an installation token",
          "POST",
          "/app/installations/" + installationId + "/access_tokens");
    }
    try {
      cached = tokens.get(installationId);
      if (fresh(cached)) {
        return cached;
      }
      InstallationToken minted = fetchInstallationToken(installationId, deadline);
      tokens.put(installationId, minted);
      return minted;
    } finally {
      lock.unlock();
    }
  }

  // ---- Installation-level calls (installation token) ----

  /**
   * Where a runner registers: the organisation of an organisation-owned repository (so the runner
   * group applies), otherwise the repository itself (a user has no organisation). Every runner call
   * of this client takes one, so the path is written once.
   */
  public record RunnerScope(
      long installationId, String owner, String repo, boolean ownerIsOrganization) {
    String runnersPath() {
      return ownerIsOrganization
          ? "/orgs/" + segment(owner) + "/actions/runners"
          : "/repos/" + segment(owner) + "/" + segment(repo) + "/actions/runners";
    }
  }

  /** Registrations of one name tried at most, when GitHub left the previous one in doubt. */
  public static final int MAX_REGISTRATIONS = 3;

  /**
   * Registers a just-in-time runner named {@code name}, within {@code deadline} for every call it
   * takes (the installation token included).
   *
   * <p>{@code generate-jitconfig} creates a runner, so it is never repeated blindly. When GitHub
   * leaves it in doubt (no answer, or a 5xx) or says the name is taken (409, or 422 "already
   * exists"), the runner of that name is looked up: if it exists it is deleted, because its JIT
   * config was never received and nobody can start it, and the name is registered again.
   *
   * @param labels 1 to 100 labels
   * @param deadline null for the client's default
   */
  public JitConfig generateJitConfig(
      RunnerScope scope,
      String name,
      long runnerGroupId,
      List<String> labels,
      String workFolder,
      Deadline deadline) {
    if (labels == null || labels.isEmpty() || labels.size() > 100) {
      throw new IllegalArgumentException("a JIT runner needs 1 to 100 labels");
    }
    Deadline until = deadline != null ? deadline : transport.defaultDeadline();
    ObjectNode body = json.createObjectNode();
    body.put("name", name);
    body.put("runner_group_id", runnerGroupId);
    labels.forEach(body.putArray("labels")::add);
    body.put("work_folder", workFolder == null ? "_work" : workFolder);
    String path = scope.runnersPath() + "/generate-jitconfig";
    for (int attempt = 1; ; attempt++) {
      try {
        JsonNode answer =
            readTree(
                sendAsInstallation(
                    scope.installationId(), "POST", path, write(body), false, until));
        JsonNode runner = answer.path("runner");
        return new JitConfig(
            runner.path("id").asLong(),
            runner.path("name").asText(null),
            answer.path("encoded_jit_config").asText(null));
      } catch (GitHubException e) {
        if (!(e.outcomeUnknown() || nameTaken(e)) || attempt >= MAX_REGISTRATIONS) {
          throw e;
        }
        findRunner(scope, name, until).ifPresent(runnerId -> deleteRunner(scope, runnerId, until));
      }
    }
  }

  /** GitHub's answer when a runner of that name is already registered. */
  private static boolean nameTaken(GitHubException e) {
    return e.statusCode() == 409
        || (e.statusCode() == 422
            && e.getMessage() != null
            && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("already exists"));
  }

  /** The id of the runner registered under exactly {@code name} in that scope, if any. */
  public Optional<Long> findRunner(RunnerScope scope, String name, Deadline deadline) {
    String path =
        scope.runnersPath()
            + "?per_page=100&name="
            + URLEncoder.encode(name, StandardCharsets.UTF_8);
    JsonNode answer =
        readTree(sendAsInstallation(scope.installationId(), "GET", path, null, true, deadline));
    for (JsonNode runner : answer.path("runners")) {
      if (name.equals(runner.path("name").asText(null))) {
        return Optional.of(runner.path("id").asLong());
      }
    }
    return Optional.empty();
  }

  /**
   * Removes a self-hosted runner registration, within {@code deadline} (null: the client's
   * default).
   *
   * @return false when GitHub no longer knew it (404), which is as good as deleted
   */
  public boolean deleteRunner(RunnerScope scope, long runnerId, Deadline deadline) {
    try {
      sendAsInstallation(
          scope.installationId(),
          "DELETE",
          scope.runnersPath() + "/" + runnerId,
          null,
          true,
          deadline != null ? deadline : transport.defaultDeadline());
      return true;
    } catch (GitHubException e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * The answer of a conditional GET: {@code body} is null when GitHub answered 304 (nothing changed
   * since {@code etag}, and the request cost no rate limit). {@code rateRemaining} and {@code
   * rateLimit} are GitHub's {@code X-RateLimit-*} headers, -1 when absent. {@code nextPage} is the
   * {@code Link} header's next page number, 0 on the last page (or a 304).
   */
  public record Conditional(
      int status, String etag, JsonNode body, long rateRemaining, long rateLimit, int nextPage) {
    public boolean notModified() {
      return status == 304;
    }
  }

  /**
   * A GET as the installation, sent with {@code If-None-Match: etag} when {@code etag} is not null,
   * through the same retries, rate-limit waits and token cache as every other call.
   */
  public Conditional getConditional(long installationId, String pathAndQuery, String etag) {
    String token = installationToken(installationId, transport.defaultDeadline()).token();
    HttpResponse<String> r;
    try {
      r =
          transport.send(
              new RetryingTransport.Call(
                  "GET",
                  pathAndQuery,
                  () -> "Bearer " + token,
                  "installation",
                  null,
                  true,
                  transport.defaultDeadline(),
                  RateLimitPauses.installation(installationId),
                  etag));
    } catch (GitHubException e) {
      if (e.statusCode() == 401) {
        tokens.remove(installationId);
      }
      throw e;
    }
    return new Conditional(
        r.statusCode(),
        r.headers().firstValue("ETag").orElse(etag),
        r.statusCode() == 304 ? null : readTree(r),
        r.headers().firstValueAsLong("X-RateLimit-Remaining").orElse(-1),
        r.headers().firstValueAsLong("X-RateLimit-Limit").orElse(-1),
        LinkHeader.nextPage(r.headers().firstValue("Link").orElse(null)));
  }

  /** {@code value} as one path segment (an owner or repository name). */
  public static String pathSegment(String value) {
    return segment(value);
  }

  /** A job's current state, as GitHub sees it. */
  public WorkflowJob getJob(long installationId, String owner, String repo, long jobId) {
    String path = "/repos/" + segment(owner) + "/" + segment(repo) + "/actions/jobs/" + jobId;
    HttpResponse<String> response = sendAsInstallation(installationId, "GET", path, null);
    return read(response, json.getTypeFactory().constructType(WorkflowJob.class));
  }

  /**
   * Asks GitHub to rerun one completed job ({@code POST .../actions/jobs/{id}/rerun}, 201; needs
   * {@code actions: write}). Not repeated on a lost answer: a second request could rerun twice.
   */
  public void rerunJob(long installationId, String owner, String repo, long jobId) {
    String path =
        "/repos/" + segment(owner) + "/" + segment(repo) + "/actions/jobs/" + jobId + "/rerun";
    sendAsInstallation(installationId, "POST", path, "{}", false, transport.defaultDeadline());
  }

  /**
   * One page of the self-hosted runners registered at organisation {@code owner}, or on repository
   * {@code owner/repo} when {@code ownerIsOrganization} is false.
   *
   * @param name only the runner of that name, or null for all
   * @param page 1-based
   */
  public List<SelfHostedRunner> listRunners(RunnerScope scope, String name, int page) {
    StringBuilder path =
        new StringBuilder(scope.runnersPath()).append("?per_page=100&page=").append(page);
    if (name != null) {
      path.append("&name=").append(URLEncoder.encode(name, StandardCharsets.UTF_8));
    }
    JsonNode answer =
        readTree(sendAsInstallation(scope.installationId(), "GET", path.toString(), null));
    List<SelfHostedRunner> out = new java.util.ArrayList<>();
    for (JsonNode r : answer.path("runners")) {
      out.add(
          new SelfHostedRunner(
              r.path("id").asLong(),
              r.path("name").asText(""),
              r.path("status").asText(""),
              r.path("busy").asBoolean(false)));
    }
    return out;
  }

  /**
   * One runner registration, looked up by its id: the only answer from which Runway concludes that
   * a runner is gone (a 404 here). A page of the list, filtered or not, may be stale or partial.
   *
   * @return empty when GitHub answers 404: no runner of that id is registered there
   */
  public Optional<SelfHostedRunner> getRunner(RunnerScope scope, long runnerId) {
    HttpResponse<String> response;
    try {
      response =
          sendAsInstallation(
              scope.installationId(), "GET", scope.runnersPath() + "/" + runnerId, null);
    } catch (GitHubException e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
    JsonNode r = readTree(response);
    return Optional.of(
        new SelfHostedRunner(
            r.path("id").asLong(runnerId),
            r.path("name").asText(""),
            r.path("status").asText(""),
            r.path("busy").asBoolean(false)));
  }

  // ---- plumbing ----

  private InstallationToken fetchInstallationToken(long installationId, Deadline deadline) {
    // Minting a token twice is harmless: the call is safe to repeat.
    HttpResponse<String> response =
        transport.send(
            new RetryingTransport.Call(
                "POST",
                "/app/installations/" + installationId + "/access_tokens",
                () -> "Bearer " + signer.jwt(),
                "app",
                null,
                true,
                deadline,
                RateLimitPauses.APP));
    JsonNode answer = readTree(response);
    String token = answer.path("token").asText(null);
    String expiresAt = answer.path("expires_at").asText(null);
    if (token == null || expiresAt == null) {
      throw new GitHubException(
          "GitHub answered an access token request without token or expires_at",
          response.statusCode(),
          "POST",
          "/app/installations/" + installationId + "/access_tokens",
          false);
    }
    return new InstallationToken(token, Instant.parse(expiresAt));
  }

  private boolean fresh(InstallationToken token) {
    return token != null && clock.instant().isBefore(token.expiresAt().minus(TOKEN_REFRESH_MARGIN));
  }

  private HttpResponse<String> sendAsApp(String method, String path, String body) {
    // The App-level POST (redeliver) is safe to repeat: a second redelivery of a failed
    // delivery is a duplicate the receiver deduplicates by GUID.
    return transport.send(
        new RetryingTransport.Call(
            method,
            path,
            () -> "Bearer " + signer.jwt(),
            "app",
            body,
            true,
            null,
            RateLimitPauses.APP));
  }

  private HttpResponse<String> sendAsInstallation(
      long installationId, String method, String path, String body) {
    return sendAsInstallation(
        installationId, method, path, body, true, transport.defaultDeadline());
  }

  private HttpResponse<String> sendAsInstallation(
      long installationId,
      String method,
      String path,
      String body,
      boolean idempotent,
      Deadline deadline) {
    // The token is fetched before the call, within the same deadline.
    String token = installationToken(installationId, deadline).token();
    try {
      return transport.send(
          new RetryingTransport.Call(
              method,
              path,
              () -> "Bearer " + token,
              "installation",
              body,
              idempotent,
              deadline,
              RateLimitPauses.installation(installationId)));
    } catch (GitHubException e) {
      if (e.statusCode() == 401) {
        // A revoked or rotated token: the next call fetches a new one instead of failing forever.
        tokens.remove(installationId);
      }
      throw e;
    }
  }

  private <T> T read(HttpResponse<String> response, JavaType type) {
    try {
      return json.readValue(response.body(), type);
    } catch (JsonProcessingException e) {
      throw unreadable(response, e);
    }
  }

  private JsonNode readTree(HttpResponse<String> response) {
    try {
      return json.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw unreadable(response, e);
    }
  }

  private static GitHubException unreadable(HttpResponse<String> response, Exception e) {
    String path = response.request().uri().getRawPath();
    return new GitHubException(
        "GitHub "
            + response.request().method()
            + " "
            + path
            + " answered unreadable JSON ("
            + e.getClass().getSimpleName()
            + ")",
        response.statusCode(),
        response.request().method(),
        path,
        false);
  }

  private String write(JsonNode body) {
    try {
      return json.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a request body", e);
    }
  }

  private static String segment(String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("an owner or repository name is empty");
    }
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String stripTrailingSlash(String url) {
    String stripped = url;
    while (stripped.endsWith("/")) {
      stripped = stripped.substring(0, stripped.length() - 1);
    }
    return stripped;
  }

  @Override
  public String toString() {
    return "GitHubClient[appId=" + signer.appId() + "]";
  }

  /** Builds a {@link GitHubClient}; everything but the signer has a production default. */
  public static final class Builder {
    private final AppJwtSigner signer;
    private URI apiUrl = DEFAULT_API_URL;
    private HttpClient httpClient;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.system();
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private MeterRegistry meterRegistry = new SimpleMeterRegistry();
    private RequestObserver observer = RequestObserver.none();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private LongSupplier nanoTime = System::nanoTime;
    private int maxConcurrency = DEFAULT_MAX_CONCURRENCY;

    private Builder(AppJwtSigner signer) {
      this.signer = Objects.requireNonNull(signer, "signer");
    }

    /** The API base URL; paths are appended to it, its own path included (GHES: /api/v3). */
    public Builder apiUrl(URI apiUrl) {
      String scheme = Objects.requireNonNull(apiUrl, "apiUrl").getScheme();
      if (!"https".equalsIgnoreCase(scheme) && !"http".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException("the GitHub API URL must be http(s): " + apiUrl);
      }
      this.apiUrl = apiUrl;
      return this;
    }

    /** The HTTP client; by default one with a 10 s connect timeout. */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /** The clock for token expiry and rate-limit resets (the signer has its own). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /** Where {@code runway_github_rate_limit_remaining} and the retry counter go. */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    public Builder observer(RequestObserver observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /** Source of backoff jitter in [0, 1). */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** The monotonic clock of call deadlines; tests tie it to the clock their sleeper moves. */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /**
     * GitHub requests this client has in flight at most, across every caller; the others queue for
     * a slot within their own deadline ({@code RUNWAY_GITHUB_MAX_CONCURRENCY}).
     */
    public Builder maxConcurrency(int maxConcurrency) {
      if (maxConcurrency < 1) {
        throw new IllegalArgumentException("maxConcurrency must be at least 1");
      }
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    public GitHubClient build() {
      return new GitHubClient(this);
    }
  }
}

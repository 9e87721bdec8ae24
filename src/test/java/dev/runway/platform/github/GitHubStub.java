package dev.runway.platform.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.github.tomakehurst.wiremock.extension.requestfilter.RequestFilterAction;
import com.github.tomakehurst.wiremock.extension.requestfilter.StubRequestFilterV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for GitHub's REST API: a WireMock server on a dynamic port that authenticates like
 * GitHub does.
 *
 * <ul>
 *   <li>Every {@code /app/...} request must carry an App JWT: RS256, signed by the test key's
 *       private half (checked against its public half), {@code iss} = the App id, {@code iat} in
 *       the past, {@code exp} in the future and at most 600 s after {@code iat}.
 *   <li>Every {@code /repos/...} and {@code /orgs/...} request must carry an installation token
 *       this stub issued and that has not expired.
 * </ul>
 *
 * A request that fails either check gets {@code 401 Bad credentials}, and the reason is kept in
 * {@link #authRejections()}. The {@code stub...} methods register realistic answers; {@link
 * #server()} gives the WireMock server for anything else. Use one stub per test and close it.
 */
public final class GitHubStub implements AutoCloseable {

  private final String appId;
  private final RSAPublicKey trustedKey;
  private final Clock clock;
  private final String basePath;
  private final WireMockServer server;
  private final ObjectMapper json = GitHubClient.objectMapper();
  private final Map<String, Instant> issuedTokens = new ConcurrentHashMap<>();
  private final List<String> authRejections = new CopyOnWriteArrayList<>();
  private final Set<String> presentedCredentials = ConcurrentHashMap.newKeySet();

  private GitHubStub(String appId, RSAPublicKey trustedKey, Clock clock, String basePath) {
    this.appId = appId;
    this.trustedKey = trustedKey;
    this.clock = clock;
    this.basePath = basePath;
    this.server =
        new WireMockServer(
            options()
                .dynamicPort()
                .notifier(new ConsoleNotifier(false))
                .extensions(new AuthFilter()));
    server.start();
  }

  /** A stub at the root path, like api.github.com, checking times against the system clock. */
  public static GitHubStub start(String appId, TestKeys keys) {
    return new GitHubStub(appId, keys.publicKey(), Clock.systemUTC(), "");
  }

  /**
   * A stub with its own clock (to match a client's injected clock) and base path ({@code "/api/v3"}
   * for GitHub Enterprise Server, or {@code ""}).
   */
  public static GitHubStub start(String appId, TestKeys keys, Clock clock, String basePath) {
    return new GitHubStub(appId, keys.publicKey(), clock, basePath);
  }

  /** The API base URL to give the client, including the base path. */
  public URI apiUrl() {
    return URI.create(server.baseUrl() + basePath);
  }

  public String appId() {
    return appId;
  }

  public WireMockServer server() {
    return server;
  }

  /** Why requests were answered 401, in order. */
  public List<String> authRejections() {
    return List.copyOf(authRejections);
  }

  /** Every JWT and token the client presented (for tests that grep output for secrets). */
  public Set<String> presentedCredentials() {
    return Set.copyOf(presentedCredentials);
  }

  /** Installation tokens this stub issued. */
  public Set<String> issuedTokens() {
    return Set.copyOf(issuedTokens.keySet());
  }

  /** A path under the base path, for WireMock patterns. */
  public String path(String path) {
    return basePath + path;
  }

  /**
   * Checks a JWT the way GitHub does.
   *
   * @return empty if valid, otherwise the reason it is not
   */
  public Optional<String> verifyJwt(String jwt) {
    try {
      SignedJWT signed = SignedJWT.parse(jwt);
      if (!JWSAlgorithm.RS256.equals(signed.getHeader().getAlgorithm())) {
        return Optional.of("alg is " + signed.getHeader().getAlgorithm() + ", not RS256");
      }
      if (!signed.verify(new RSASSAVerifier(trustedKey))) {
        return Optional.of("signature does not verify with the App's public key");
      }
      return checkClaims(signed.getJWTClaimsSet());
    } catch (ParseException e) {
      return Optional.of("not a JWT");
    } catch (JOSEException e) {
      return Optional.of("cannot verify: " + e.getMessage());
    }
  }

  private Optional<String> checkClaims(JWTClaimsSet claims) {
    Instant now = clock.instant();
    if (!appId.equals(claims.getIssuer())) {
      return Optional.of("iss is " + claims.getIssuer() + ", not " + appId);
    }
    if (claims.getIssueTime() == null || claims.getExpirationTime() == null) {
      return Optional.of("iat or exp missing");
    }
    Instant iat = claims.getIssueTime().toInstant();
    Instant exp = claims.getExpirationTime().toInstant();
    if (!iat.isBefore(now)) {
      return Optional.of("iat is not in the past");
    }
    if (!exp.isAfter(now)) {
      return Optional.of("exp has passed");
    }
    if (Duration.between(iat, exp).getSeconds() > 600) {
      return Optional.of("exp is more than 600 s after iat");
    }
    return Optional.empty();
  }

  // ---- deliveries ----

  /** A delivery attempt for fixtures: status {@code OK} for 2xx codes, else a failure reason. */
  public static DeliverySummary delivery(
      long id, String guid, Instant deliveredAt, String event, String action, int statusCode) {
    boolean ok = statusCode >= 200 && statusCode < 300;
    String status =
        ok
            ? "OK"
            : statusCode == 0
                ? "failed to connect to host"
                : "Invalid HTTP Response: " + statusCode;
    return new DeliverySummary(
        id,
        guid,
        deliveredAt,
        false,
        0.25,
        status,
        statusCode,
        event,
        action,
        4242L,
        1296269L,
        null);
  }

  /** The same attempt marked as a redelivery. */
  public static DeliverySummary redelivery(DeliverySummary d) {
    return new DeliverySummary(
        d.id(),
        d.guid(),
        d.deliveredAt(),
        true,
        d.duration(),
        d.status(),
        d.statusCode(),
        d.event(),
        d.action(),
        d.installationId(),
        d.repositoryId(),
        d.throttledAt());
  }

  /**
   * Serves {@code GET /app/hook/deliveries} as consecutive pages: page 1 without a cursor, page n
   * for {@code cursor=page-n}; every page but the last has a {@code Link rel="next"} header. No
   * pages means one empty page. The {@code status} parameter is ignored, like older GHES does.
   */
  public void stubDeliveriesPages(List<List<DeliverySummary>> pages) {
    List<List<DeliverySummary>> all = pages.isEmpty() ? List.of(List.of()) : pages;
    for (int i = 0; i < all.size(); i++) {
      MappingBuilder request =
          get(urlPathEqualTo(path("/app/hook/deliveries")))
              .withQueryParam("cursor", i == 0 ? absent() : equalTo("page-" + (i + 1)));
      ResponseDefinitionBuilder response = jsonResponse(200, toJson(all.get(i)));
      if (i + 1 < all.size()) {
        String next = apiUrl() + "/app/hook/deliveries?per_page=100&cursor=page-" + (i + 2);
        response.withHeader("Link", "<" + next + ">; rel=\"next\"");
      }
      server.stubFor(request.willReturn(response));
    }
  }

  /**
   * Serves {@code GET /app/hook/deliveries/{id}} with request headers (a signature among them, for
   * redaction tests), the given request payload and a response.
   */
  public void stubDeliveryDetail(DeliverySummary d, String requestPayloadJson) {
    ObjectNode detail = json.valueToTree(d);
    detail.put("url", "https://runway.example.com/webhooks/github");
    ObjectNode request = detail.putObject("request");
    ObjectNode headers = request.putObject("headers");
    headers.put("Accept", "*/*");
    headers.put("X-GitHub-Delivery", d.guid());
    headers.put("X-GitHub-Event", d.event());
    headers.put("X-Hub-Signature-256", "sha256=" + "ab".repeat(32));
    headers.put("X-Hub-Signature", "sha1=" + "cd".repeat(20));
    headers.put("User-Agent", "GitHub-Hookshot/044aadd");
    try {
      request.set("payload", json.readTree(requestPayloadJson));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("bad payload fixture", e);
    }
    ObjectNode response = detail.putObject("response");
    response.putObject("headers").put("Content-Type", "text/plain").put("Set-Cookie", "s=1");
    response.put("payload", d.succeeded() ? "ok" : null);
    server.stubFor(
        get(urlPathEqualTo(path("/app/hook/deliveries/" + d.id())))
            .willReturn(jsonResponse(200, detail.toString())));
  }

  /** A {@code workflow_job} payload with that job id, for detail fixtures. */
  public static String workflowJobPayload(String action, long jobId) {
    return "{\"action\":\""
        + action
        + "\",\"workflow_job\":{\"id\":"
        + jobId
        + ",\"run_id\":10293081,\"status\":\""
        + action
        + "\",\"labels\":[\"self-hosted\",\"linux\"]},"
        + "\"repository\":{\"id\":1296269,\"full_name\":\"acme/app\","
        + "\"owner\":{\"login\":\"acme\",\"type\":\"Organization\"}},"
        + "\"installation\":{\"id\":4242}}";
  }

  /** Serves {@code POST /app/hook/deliveries/{id}/attempts} with 202. */
  public void stubRedeliver(long deliveryId) {
    stubRedeliver(deliveryId, 202);
  }

  /** Serves {@code POST /app/hook/deliveries/{id}/attempts} with the given status. */
  public void stubRedeliver(long deliveryId, int status) {
    String body = status == 202 ? "{}" : "{\"message\":\"Validation Failed\"}";
    server.stubFor(
        post(urlPathEqualTo(path("/app/hook/deliveries/" + deliveryId + "/attempts")))
            .willReturn(jsonResponse(status, body)));
  }

  /** Redelivery requests received for that delivery id. */
  public int redeliveryRequests(long deliveryId) {
    return count(
        postRequestedFor(urlPathEqualTo(path("/app/hook/deliveries/" + deliveryId + "/attempts"))));
  }

  /** List requests received ({@code GET /app/hook/deliveries}). */
  public int listRequests() {
    return count(getRequestedFor(urlPathEqualTo(path("/app/hook/deliveries"))));
  }

  /** Detail requests received for that delivery id. */
  public int detailRequests(long deliveryId) {
    return count(getRequestedFor(urlPathEqualTo(path("/app/hook/deliveries/" + deliveryId))));
  }

  // ---- installations, runners, jobs ----

  /**
   * Serves {@code POST /app/installations/{id}/access_tokens} with a new token valid for an hour
   * (by this stub's clock), and accepts that token on installation-level calls.
   *
   * @return the token
   */
  public String stubInstallationToken(long installationId) {
    return stubInstallationToken(installationId, Duration.ofHours(1));
  }

  /** As {@link #stubInstallationToken(long)}, with another lifetime. */
  public String stubInstallationToken(long installationId, Duration lifetime) {
    String token = "ghs_" + UUID.randomUUID().toString().replace("-", "");
    Instant expiresAt = clock.instant().plus(lifetime);
    issuedTokens.put(token, expiresAt);
    ObjectNode body =
        json.createObjectNode().put("token", token).put("expires_at", expiresAt.toString());
    server.stubFor(
        post(urlPathEqualTo(path("/app/installations/" + installationId + "/access_tokens")))
            .willReturn(jsonResponse(201, body.toString())));
    return token;
  }

  /** Access token requests received for that installation. */
  public int accessTokenRequests(long installationId) {
    return count(
        postRequestedFor(
            urlPathEqualTo(path("/app/installations/" + installationId + "/access_tokens"))));
  }

  /**
   * Serves {@code POST /orgs/{org}/actions/runners/generate-jitconfig} with 201, for requests whose
   * body has a name, a runner group id, at least one label and a work folder (others get no match,
   * 404).
   */
  public void stubOrgJitConfig(String org, long runnerId, String encodedJitConfig) {
    stubJitConfig(
        "/orgs/" + org + "/actions/runners/generate-jitconfig", runnerId, encodedJitConfig);
  }

  /** As {@link #stubOrgJitConfig}, at {@code /repos/{owner}/{repo}/...} for user-owned repos. */
  public void stubRepoJitConfig(String owner, String repo, long runnerId, String encodedJitConfig) {
    stubJitConfig(
        "/repos/" + owner + "/" + repo + "/actions/runners/generate-jitconfig",
        runnerId,
        encodedJitConfig);
  }

  private void stubJitConfig(String apiPath, long runnerId, String encodedJitConfig) {
    String body =
        "{\"runner\":{\"id\":"
            + runnerId
            + ",\"name\":\"{{jsonPath request.body '$.name'}}\",\"os\":\"unknown\","
            + "\"status\":\"offline\",\"busy\":false,\"labels\":[]},"
            + "\"encoded_jit_config\":\""
            + encodedJitConfig
            + "\"}";
    server.stubFor(
        post(urlPathEqualTo(path(apiPath)))
            .withRequestBody(matchingJsonPath("$.name"))
            .withRequestBody(matchingJsonPath("$.runner_group_id"))
            .withRequestBody(matchingJsonPath("$.work_folder"))
            .withRequestBody(matchingJsonPath("$.labels[0]"))
            .willReturn(jsonResponse(201, body).withTransformers("response-template")));
  }

  /** JIT config requests received at that API path (e.g. {@code /orgs/acme/actions/...}). */
  public List<LoggedRequest> requestsTo(String apiPath) {
    return server.findAll(RequestPatternBuilder.allRequests().withUrl(path(apiPath)));
  }

  /** Serves {@code GET /repos/{owner}/{repo}/actions/jobs/{id}} with the given job JSON. */
  public void stubJob(String owner, String repo, long jobId, String jobJson) {
    server.stubFor(
        get(urlPathEqualTo(path("/repos/" + owner + "/" + repo + "/actions/jobs/" + jobId)))
            .willReturn(jsonResponse(200, jobJson)));
  }

  // ---- helpers ----

  /** Requests matching a WireMock pattern. */
  public int count(RequestPatternBuilder pattern) {
    return server.countRequestsMatching(pattern.build()).getCount();
  }

  /** All requests received, oldest first. */
  public List<LoggedRequest> allRequests() {
    List<LoggedRequest> requests =
        new ArrayList<>(server.findAll(RequestPatternBuilder.allRequests()));
    requests.sort((a, b) -> a.getLoggedDate().compareTo(b.getLoggedDate()));
    return requests;
  }

  /**
   * A JSON response. Rate-limit headers are left to the caller ({@code
   * .withHeader("X-RateLimit-Remaining", "0")}), since WireMock would send duplicates.
   */
  public static ResponseDefinitionBuilder jsonResponse(int status, String body) {
    return aResponse()
        .withStatus(status)
        .withHeader("Content-Type", "application/json; charset=utf-8")
        .withHeader("X-RateLimit-Limit", "5000")
        .withBody(body);
  }

  private String toJson(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Override
  public void close() {
    server.stop();
  }

  /** Rejects requests without valid App or installation credentials, as GitHub would. */
  private final class AuthFilter implements StubRequestFilterV2 {

    @Override
    public RequestFilterAction filter(Request request, ServeEvent serveEvent) {
      String url = request.getUrl();
      String apiPath = url.startsWith(basePath) ? url.substring(basePath.length()) : url;
      Optional<String> problem;
      if (apiPath.startsWith("/app")) {
        problem =
            bearer(request).map(GitHubStub.this::verifyJwt).orElse(Optional.of("no bearer JWT"));
      } else if (apiPath.startsWith("/repos/") || apiPath.startsWith("/orgs/")) {
        problem = bearer(request).map(this::checkToken).orElse(Optional.of("no bearer token"));
      } else {
        problem = Optional.empty();
      }
      if (problem.isEmpty()) {
        return RequestFilterAction.continueWith(request);
      }
      authRejections.add(request.getMethod() + " " + apiPath + ": " + problem.get());
      return RequestFilterAction.stopWith(
          ResponseDefinitionBuilder.responseDefinition()
              .withStatus(401)
              .withHeader("Content-Type", "application/json")
              .withBody("{\"message\":\"Bad credentials\"}")
              .build());
    }

    private Optional<String> bearer(Request request) {
      String header = request.getHeader("Authorization");
      if (header == null || !header.startsWith("Bearer ")) {
        return Optional.empty();
      }
      String credential = header.substring("Bearer ".length());
      presentedCredentials.add(credential);
      return Optional.of(credential);
    }

    private Optional<String> checkToken(String token) {
      Instant expiresAt = issuedTokens.get(token);
      if (expiresAt == null) {
        return Optional.of("token was not issued by this stub");
      }
      return expiresAt.isAfter(clock.instant()) ? Optional.empty() : Optional.of("token expired");
    }

    @Override
    public String getName() {
      return "github-auth";
    }
  }
}

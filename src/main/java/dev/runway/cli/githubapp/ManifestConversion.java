package dev.runway.cli.githubapp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Exchanges the code GitHub's redirect carries for the new App's credentials: {@code POST
 * /app-manifests/{code}/conversions}, without authentication (the code is the credential, valid
 * once, for an hour). Not retried: a code is spent by the first exchange that reaches GitHub, so a
 * retry after a lost answer could only fail.
 */
final class ManifestConversion {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI api;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  ManifestConversion(URI api, HttpClient http) {
    this.api = api;
    this.http = http;
  }

  CreatedApp exchange(String code) {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(
                    api
                        + "/app-manifests/"
                        + URLEncoder.encode(code, StandardCharsets.UTF_8)
                        + "/conversions"))
            .timeout(TIMEOUT)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("User-Agent", "runway")
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ConversionFailed("cannot reach GitHub's API at " + api + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConversionFailed("interrupted while exchanging the code");
    }
    if (response.statusCode() != 201 && response.statusCode() != 200) {
      // GitHub's error body is {"message": ...}; it carries no secret, the request had none.
      throw new ConversionFailed(
          "GitHub answered "
              + response.statusCode()
              + " to the code exchange ("
              + message(response.body())
              + "); codes are valid once and for one hour: run the command again");
    }
    return read(response.body());
  }

  private CreatedApp read(String body) {
    JsonNode n;
    try {
      n = json.readTree(body);
    } catch (IOException e) {
      throw new ConversionFailed("GitHub answered the code exchange with unreadable JSON");
    }
    String pem = n.path("pem").asText(null);
    String secret = n.path("webhook_secret").asText(null);
    if (!n.path("id").canConvertToLong() || pem == null || secret == null) {
      throw new ConversionFailed(
          "GitHub's answer to the code exchange lacks the App id, its key or its webhook secret");
    }
    return new CreatedApp(
        n.path("id").asLong(),
        n.path("slug").asText(null),
        n.path("name").asText(null),
        n.path("html_url").asText(null),
        pem,
        secret);
  }

  private String message(String body) {
    try {
      return json.readTree(body).path("message").asText("no message");
    } catch (IOException | RuntimeException e) {
      return "no message";
    }
  }

  /** The exchange failed; the message says why and what to do, and holds no secret. */
  static final class ConversionFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConversionFailed(String message) {
      super(message);
    }
  }
}

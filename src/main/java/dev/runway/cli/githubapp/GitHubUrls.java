package dev.runway.cli.githubapp;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Where the manifest flow goes on a given GitHub: the web form (personal or organisation) and the
 * REST API. GitHub.com's API lives on its own host; GitHub Enterprise Server's under {@code
 * /api/v3} of the same host.
 */
record GitHubUrls(URI web, URI api) {

  static final URI GITHUB_COM = URI.create("https://github.com");

  /**
   * @param web the GitHub a person signs in to, e.g. {@code https://github.com} or {@code
   *     https://github.example.com}
   * @param api the API base URL, or null to derive it from {@code web}
   */
  static GitHubUrls of(URI web, URI api) {
    URI base = withoutTrailingSlash(web);
    return new GitHubUrls(base, api != null ? withoutTrailingSlash(api) : apiFor(base));
  }

  static URI apiFor(URI web) {
    String host = web.getHost() == null ? "" : web.getHost().toLowerCase(Locale.ROOT);
    if (host.equals("github.com") || host.equals("www.github.com")) {
      return URI.create("https://api.github.com");
    }
    return URI.create(withoutTrailingSlash(web) + "/api/v3");
  }

  /** The page a browser posts the manifest to; {@code org} null means the person's own account. */
  URI newAppForm(String org, String state) {
    String path =
        org == null
            ? "/settings/apps/new"
            : "/organizations/"
                + URLEncoder.encode(org, StandardCharsets.UTF_8)
                + "/settings/apps/new";
    return URI.create(web + path + "?state=" + URLEncoder.encode(state, StandardCharsets.UTF_8));
  }

  /** Whether the API is GitHub.com's, which needs no {@code RUNWAY_GITHUB_API_URL}. */
  boolean defaultApi() {
    return api.toString().equals("https://api.github.com");
  }

  private static URI withoutTrailingSlash(URI uri) {
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return URI.create(s);
  }
}

package dev.runway.cli.githubapp;

/** Where a person installs the App: GitHub's own {@code html_url}, or the slug on that host. */
final class InstallLink {
  private InstallLink() {}

  static String of(CreatedApp app, GitHubUrls urls) {
    String base =
        app.htmlUrl() != null && !app.htmlUrl().isBlank()
            ? app.htmlUrl()
            : urls.web() + "/apps/" + app.slug();
    return base + "/installations/new";
  }
}

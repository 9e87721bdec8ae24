package dev.runway.cli.githubapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class GitHubUrlsTest {

  @Test
  void github_com_uses_its_api_host() {
    GitHubUrls urls = GitHubUrls.of(URI.create("https://github.com/"), null);

    assertThat(urls.api()).isEqualTo(URI.create("https://api.github.com"));
    assertThat(urls.defaultApi()).isTrue();
    assertThat(urls.newAppForm(null, "s1").toString())
        .isEqualTo("https://github.com/settings/apps/new?state=s1");
  }

  @Test
  void enterprise_server_uses_api_v3_on_its_host_and_the_organization_form() {
    GitHubUrls urls = GitHubUrls.of(URI.create("https://github.example.com"), null);

    assertThat(urls.api()).isEqualTo(URI.create("https://github.example.com/api/v3"));
    assertThat(urls.defaultApi()).isFalse();
    assertThat(urls.newAppForm("acme", "s2").toString())
        .isEqualTo("https://github.example.com/organizations/acme/settings/apps/new?state=s2");
  }

  @Test
  void an_explicit_api_url_wins() {
    GitHubUrls urls =
        GitHubUrls.of(
            URI.create("https://github.example.com"), URI.create("https://api.example.com/"));

    assertThat(urls.api()).isEqualTo(URI.create("https://api.example.com"));
  }

  @Test
  void html_escaping_keeps_a_manifest_inside_its_attribute() {
    assertThat(ManifestPage.html("{\"name\":\"a&b<c>'\"}"))
        .isEqualTo("{&quot;name&quot;:&quot;a&amp;b&lt;c&gt;&#39;&quot;}");
  }
}

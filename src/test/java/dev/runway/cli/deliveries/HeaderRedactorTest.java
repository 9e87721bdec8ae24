package dev.runway.cli.deliveries;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeaderRedactorTest {

  @Test
  void secret_looking_header_names_are_recognised() {
    assertThat(HeaderRedactor.isSecret("X-Hub-Signature-256")).isTrue();
    assertThat(HeaderRedactor.isSecret("Authorization")).isTrue();
    assertThat(HeaderRedactor.isSecret("X-Api-Token")).isTrue();
    assertThat(HeaderRedactor.isSecret("X-Webhook-Secret")).isTrue();
    assertThat(HeaderRedactor.isSecret("Set-Cookie")).isTrue();
    assertThat(HeaderRedactor.isSecret("X-Api-Key")).isTrue();
  }

  @Test
  void ordinary_headers_are_kept() {
    assertThat(HeaderRedactor.isSecret("X-GitHub-Delivery")).isFalse();
    assertThat(HeaderRedactor.isSecret("X-GitHub-Hook-Installation-Target-ID")).isFalse();
    assertThat(HeaderRedactor.isSecret("Content-Type")).isFalse();
  }
}

package dev.runway.cli.githubapp;

import java.util.Objects;

/**
 * What {@code POST /app-manifests/{code}/conversions} hands over once: the App's identity and its
 * two secrets. Nothing secret appears in {@link #toString}.
 *
 * @param pem the App's private key (PKCS#1 PEM)
 * @param webhookSecret the secret GitHub signs deliveries with
 */
record CreatedApp(
    long id, String slug, String name, String htmlUrl, String pem, String webhookSecret) {

  CreatedApp {
    Objects.requireNonNull(pem, "pem");
    Objects.requireNonNull(webhookSecret, "webhookSecret");
  }

  @Override
  public String toString() {
    return "CreatedApp[id=" + id + ", slug=" + slug + ", pem=<redacted>, webhookSecret=<redacted>]";
  }
}

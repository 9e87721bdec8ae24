package dev.runway.cli.credentials;

import java.net.URI;
import java.security.interfaces.RSAPrivateKey;
import java.util.Objects;

/**
 * What the CLI (or the service) needs to act as the GitHub App.
 *
 * @param keySource where the key came from, for messages (e.g. {@code --private-key-file /x})
 */
public record AppCredentials(String appId, RSAPrivateKey privateKey, URI apiUrl, String keySource) {
  public AppCredentials {
    Objects.requireNonNull(appId, "appId");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(apiUrl, "apiUrl");
  }

  @Override
  public String toString() {
    return "AppCredentials[appId="
        + appId
        + ", privateKey=<redacted>, apiUrl="
        + apiUrl
        + ", keySource="
        + keySource
        + "]";
  }
}

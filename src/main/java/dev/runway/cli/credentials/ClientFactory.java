package dev.runway.cli.credentials;

import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.RequestObserver;
import java.time.Clock;

/** Builds the GitHub client for resolved credentials; tests swap it to avoid real waits. */
@FunctionalInterface
public interface ClientFactory {

  GitHubClient create(AppCredentials credentials, Clock clock, RequestObserver observer);

  /** The production client: default retry policy, real sleeps, a private meter registry. */
  static ClientFactory standard() {
    return (credentials, clock, observer) ->
        GitHubClient.builder(new AppJwtSigner(credentials.appId(), credentials.privateKey(), clock))
            .apiUrl(credentials.apiUrl())
            .clock(clock)
            .observer(observer)
            .build();
  }
}

package dev.runway.cli.credentials;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The GitHub App credential options, shared by every command that talks to GitHub as the App. See
 * {@link CredentialsResolver} for where each value may come from and which source wins.
 */
public final class CredentialsMixin {

  @Option(
      names = "--app-id",
      paramLabel = "ID",
      description = "GitHub App id (env RUNWAY_GITHUB_APP_ID, profile app_id).")
  String appId;

  @Option(
      names = "--private-key-file",
      paramLabel = "FILE",
      description =
          "The App's private key, PKCS#1 or PKCS#8 PEM"
              + " (env RUNWAY_GITHUB_PRIVATE_KEY_FILE or RUNWAY_GITHUB_PRIVATE_KEY with the PEM text).")
  Path privateKeyFile;

  @Option(
      names = "--private-key-command",
      paramLabel = "COMMAND",
      description =
          "A command that prints the PEM key, run without a shell,"
              + " e.g. 'op read op://vault/item/private-key.pem'.")
  String privateKeyCommand;

  @Option(
      names = "--profile",
      paramLabel = "NAME",
      description =
          "A profile of ~/.config/runway/profiles.yaml (or $RUNWAY_CONFIG) with app_id,"
              + " private_key_file, private_key_command and api_url.")
  String profile;

  @Option(
      names = "--api-url",
      paramLabel = "URL",
      description =
          "GitHub API base URL, e.g. https://github.example.com/api/v3 for GitHub Enterprise Server"
              + " (env RUNWAY_GITHUB_API_URL; default https://api.github.com).")
  String apiUrl;

  /** The flags as given. */
  public CredentialsResolver.Flags flags() {
    return new CredentialsResolver.Flags(appId, privateKeyFile, privateKeyCommand, profile, apiUrl);
  }

  /** Resolves the credentials with flags over {@code env} over the profile. */
  public AppCredentials resolve(Map<String, String> env) {
    return new CredentialsResolver(env, CredentialsResolver.DEFAULT_COMMAND_TIMEOUT)
        .resolve(flags());
  }
}

package dev.runway.cli.credentials;

import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.PemKeys;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Assembles {@link AppCredentials} from flags, the environment and a named profile.
 *
 * <p>Precedence: <b>flags override the environment, which overrides the profile</b>.
 *
 * <ul>
 *   <li>App id: {@code --app-id}, then {@code RUNWAY_GITHUB_APP_ID}, then the profile's {@code
 *       app_id}.
 *   <li>Private key: {@code --private-key-file} or {@code --private-key-command} (not both), then
 *       {@code RUNWAY_GITHUB_PRIVATE_KEY} (the PEM text), then {@code
 *       RUNWAY_GITHUB_PRIVATE_KEY_FILE}, then the profile's {@code private_key_file}, then its
 *       {@code private_key_command}.
 *   <li>API URL: {@code --api-url}, then {@code RUNWAY_GITHUB_API_URL}, then the profile's {@code
 *       api_url}, then {@code https://api.github.com}.
 * </ul>
 *
 * Only the first key source present is tried: silently falling back to another key after the chosen
 * one failed would hide the failure. Problems raise {@link CredentialsException} with one line
 * naming the source tried. Key bytes and characters read from a file or a command are cleared once
 * the key is parsed; PEM text from the environment is a String and cannot be.
 */
public final class CredentialsResolver {

  /** How long a {@code --private-key-command} may run. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, String> env;
  private final Duration commandTimeout;

  public CredentialsResolver(Map<String, String> env, Duration commandTimeout) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    this.commandTimeout = Objects.requireNonNull(commandTimeout, "commandTimeout");
  }

  /** What the flags asked for; any field may be null. */
  public record Flags(
      String appId, Path privateKeyFile, String privateKeyCommand, String profile, String apiUrl) {
    public static final Flags NONE = new Flags(null, null, null, null, null);
  }

  public AppCredentials resolve(Flags flags) {
    Profiles.Profile profile =
        flags.profile() == null
            ? Profiles.Profile.NONE
            : Profiles.load(Profiles.location(env), flags.profile());
    String appId = first(flags.appId(), env.get("RUNWAY_GITHUB_APP_ID"), profile.appId());
    if (appId == null) {
      throw new CredentialsException(
          "no App id: set --app-id, RUNWAY_GITHUB_APP_ID or app_id in a --profile");
    }
    URI apiUrl = apiUrl(first(flags.apiUrl(), env.get("RUNWAY_GITHUB_API_URL"), profile.apiUrl()));
    KeySource source = keySource(flags, profile);
    return new AppCredentials(appId.trim(), source.load(), apiUrl, source.description());
  }

  private KeySource keySource(Flags flags, Profiles.Profile profile) {
    if (flags.privateKeyFile() != null && flags.privateKeyCommand() != null) {
      throw new CredentialsException(
          "--private-key-file and --private-key-command exclude each other; give one");
    }
    if (flags.privateKeyFile() != null) {
      Path file = flags.privateKeyFile();
      return new KeySource("--private-key-file " + file, () -> readFile(file));
    }
    if (flags.privateKeyCommand() != null) {
      return commandSource("--private-key-command", flags.privateKeyCommand());
    }
    String pem = blankToNull(env.get("RUNWAY_GITHUB_PRIVATE_KEY"));
    if (pem != null) {
      return new KeySource("RUNWAY_GITHUB_PRIVATE_KEY", pem::toCharArray);
    }
    String envFile = blankToNull(env.get("RUNWAY_GITHUB_PRIVATE_KEY_FILE"));
    if (envFile != null) {
      Path file = expandHome(envFile);
      return new KeySource("RUNWAY_GITHUB_PRIVATE_KEY_FILE " + file, () -> readFile(file));
    }
    if (profile.privateKeyFile() != null) {
      Path file = expandHome(profile.privateKeyFile());
      return new KeySource("profile private_key_file " + file, () -> readFile(file));
    }
    if (profile.privateKeyCommand() != null) {
      return commandSource("profile private_key_command", profile.privateKeyCommand());
    }
    throw new CredentialsException(
        "no private key: set --private-key-file, --private-key-command,"
            + " RUNWAY_GITHUB_PRIVATE_KEY, RUNWAY_GITHUB_PRIVATE_KEY_FILE or a --profile with one");
  }

  private KeySource commandSource(String origin, String commandLine) {
    List<String> argv;
    try {
      argv = CommandLineSplitter.split(commandLine);
    } catch (IllegalArgumentException e) {
      throw new CredentialsException(
          "no private key: tried " + origin + " (" + e.getMessage() + ")");
    }
    if (argv.isEmpty()) {
      throw new CredentialsException("no private key: tried " + origin + " (empty command)");
    }
    // Only the program is named in messages; the rest of the command line stays out of output.
    String description = origin + " " + argv.get(0);
    return new KeySource(description, () -> runCommand(argv));
  }

  private char[] runCommand(List<String> argv) {
    byte[] output;
    try {
      output = KeyCommand.run(argv, commandTimeout);
    } catch (KeyCommand.KeyCommandException e) {
      throw new KeyUnavailable(e.getMessage());
    }
    return decode(output);
  }

  private static char[] readFile(Path file) {
    if (!Files.exists(file)) {
      throw new KeyUnavailable("no such file");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new KeyUnavailable("not readable");
    }
    try {
      return decode(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new KeyUnavailable("no such file");
    } catch (AccessDeniedException e) {
      throw new KeyUnavailable("not readable");
    } catch (IOException e) {
      throw new KeyUnavailable("not readable: " + e.getClass().getSimpleName());
    }
  }

  /** Decodes and then clears the bytes, and the decoder's buffer. */
  private static char[] decode(byte[] bytes) {
    CharBuffer decoded = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
    try {
      char[] chars = new char[decoded.remaining()];
      decoded.get(chars);
      return chars;
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (decoded.hasArray()) {
        Arrays.fill(decoded.array(), '\0');
      }
    }
  }

  private static URI apiUrl(String configured) {
    if (configured == null) {
      return GitHubClient.DEFAULT_API_URL;
    }
    try {
      URI uri = URI.create(configured.trim());
      if (uri.getHost() == null
          || !("https".equalsIgnoreCase(uri.getScheme())
              || "http".equalsIgnoreCase(uri.getScheme()))) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new CredentialsException("bad API URL " + configured + ": not an http(s) URL");
    }
  }

  private Path expandHome(String path) {
    if (path.equals("~") || path.startsWith("~/")) {
      return Profiles.home(env).resolve(path.length() == 1 ? "" : path.substring(2));
    }
    return Path.of(path);
  }

  private static String first(String... values) {
    for (String value : values) {
      if (blankToNull(value) != null) {
        return value;
      }
    }
    return null;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  /** One place a key may come from, loaded lazily so only the chosen source is touched. */
  private record KeySource(String description, Supplier<char[]> reader) {
    RSAPrivateKey load() {
      char[] pem;
      try {
        pem = reader.get();
      } catch (KeyUnavailable e) {
        throw new CredentialsException(
            "no private key: tried " + description + " (" + e.getMessage() + ")");
      }
      try {
        return PemKeys.parsePrivateKey(pem);
      } catch (PemKeys.InvalidPrivateKeyException e) {
        throw new CredentialsException(
            "no private key: tried " + description + " (" + e.getMessage() + ")");
      } finally {
        Arrays.fill(pem, '\0');
      }
    }
  }

  /** Internal signal: the chosen source could not be read. */
  private static final class KeyUnavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KeyUnavailable(String reason) {
      super(reason, null, false, false);
    }
  }
}

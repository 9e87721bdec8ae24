package dev.runway.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * {@code runway --version}: the Maven project version, written into {@code
 * dev/runway/version.properties} by resource filtering at build time, so the jar can never report a
 * version it was not built as.
 */
public final class VersionProvider implements CommandLine.IVersionProvider {

  @Override
  public String[] getVersion() {
    return new String[] {"runway " + version()};
  }

  /** The version this jar was built as. */
  public static String version() {
    try (InputStream in =
        VersionProvider.class.getResourceAsStream("/dev/runway/version.properties")) {
      if (in == null) {
        throw new IllegalStateException("dev/runway/version.properties is missing from the build");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

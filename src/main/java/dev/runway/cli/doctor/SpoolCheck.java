package dev.runway.cli.doctor;

import dev.runway.platform.config.RunwayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether deliveries can be spooled: the directory (or the parent {@code serve} creates it in) is
 * writable, and how much free space its file system has compared with {@code
 * RUNWAY_SPOOL_MAX_BYTES}.
 */
final class SpoolCheck {

  static final String NAME = "spool";

  private final RunwayConfig config;

  SpoolCheck(RunwayConfig config) {
    this.config = config;
  }

  Check run() {
    Path dir = config.spoolDir().toAbsolutePath().normalize();
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing)) {
      return Check.failed(
          NAME,
          dir + " cannot be created: " + existing + " is not a directory",
          "point " + RunwayConfig.SPOOL_DIR + " at a directory on a persistent volume");
    }
    String where = existing.equals(dir) ? dir.toString() : dir + " (created by serve)";
    try {
      Path probe = Files.createTempFile(existing, ".runway-doctor-", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      return Check.failed(
          NAME,
          "cannot write in " + existing + ": " + e.getClass().getSimpleName(),
          "let the user running Runway write there, or set " + RunwayConfig.SPOOL_DIR);
    }
    long free;
    try {
      free = Files.getFileStore(existing).getUsableSpace();
    } catch (IOException e) {
      return Check.warning(
          NAME, where + " is writable; its free space is unknown", "check the disk by hand");
    }
    String space = where + " is writable, " + bytes(free) + " free";
    if (free < config.spoolMaxBytes()) {
      return Check.warning(
          NAME,
          space
              + ", less than "
              + RunwayConfig.SPOOL_MAX_BYTES
              + " ("
              + bytes(config.spoolMaxBytes())
              + ")",
          "free disk space, or lower "
              + RunwayConfig.SPOOL_MAX_BYTES
              + ": a long database outage could fill the disk before the spool's own limit");
    }
    return Check.ok(NAME, space);
  }

  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(java.util.Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(java.util.Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    return n + " bytes";
  }
}

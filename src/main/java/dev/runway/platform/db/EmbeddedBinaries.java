package dev.runway.platform.db;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.InputStream;

/**
 * Finds the embedded PostgreSQL archive for this machine in the jar. The jar carries three: Linux
 * x86-64, Linux arm64 and one for macOS. The macOS archive is a universal build (x86-64 and arm64
 * in each binary; the two Maven artifacts hold the same bytes), so it is shipped once, under its
 * x86-64 name, and served to Apple Silicon too. The library's own fallback would do the same but
 * warn about emulation, which a universal binary does not need.
 */
final class EmbeddedBinaries implements PgBinaryResolver {
  static final EmbeddedBinaries INSTANCE = new EmbeddedBinaries();

  /** The archive that serves both macOS architectures. */
  static final String DARWIN_UNIVERSAL = "postgres-darwin-x86_64.txz";

  private EmbeddedBinaries() {}

  @Override
  public InputStream getPgBinary(String system, String machineHardware) throws IOException {
    if ("Darwin".equals(system)) {
      InputStream universal =
          EmbeddedBinaries.class.getClassLoader().getResourceAsStream(DARWIN_UNIVERSAL);
      if (universal != null) {
        return universal;
      }
    }
    return DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
  }
}

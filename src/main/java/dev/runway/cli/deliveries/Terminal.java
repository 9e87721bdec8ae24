package dev.runway.cli.deliveries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether stderr is a terminal, so progress lines appear for people and not in logs. */
final class Terminal {

  private Terminal() {}

  /**
   * On Linux the answer is where file descriptor 2 points; elsewhere {@link System#console()} is
   * the best Java 17 offers (it also requires stdin and stdout to be terminals).
   */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }
}

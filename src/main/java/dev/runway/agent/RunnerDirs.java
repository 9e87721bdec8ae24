package dev.runway.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fresh runner directory per job under {@code --work-root}, a real copy of {@code
 * --runner-dir}: no file of a job's directory shares an inode with the template or with another
 * job, so a job that rewrites {@code run.sh} or a file under {@code bin/} changes its own copy and
 * nothing a later job runs. (Hard links, used until issue 20, shared the inode: one job's append
 * landed in the template.)
 *
 * <p>A copy rather than a read-only template with a writable overlay: an overlay needs root or a
 * FUSE helper on Linux and has no equivalent on macOS, while a copy works everywhere the agent
 * runs. {@code cp --reflink=auto -a} makes each file a reflink where the file system has them
 * (Btrfs, XFS, ZFS 2.2, bcachefs: instant, no space until a job writes) and a byte copy elsewhere;
 * on macOS {@code cp -c -a} clones on APFS; where {@code cp} is missing or refuses (BusyBox), a
 * pure-Java copy does the same.
 */
final class RunnerDirs {
  private static final Logger log = LoggerFactory.getLogger(RunnerDirs.class);
  private final Path template;
  private final Path workRoot;
  private volatile boolean cpWorks;

  RunnerDirs(Path template, Path workRoot) {
    this(template, workRoot, true);
  }

  /** With {@code tryCp = false}, always the Java copy (what a host without GNU cp gets). */
  RunnerDirs(Path template, Path workRoot, boolean tryCp) {
    this.template = template;
    this.workRoot = workRoot;
    this.cpWorks = tryCp;
  }

  /** Makes {@code workRoot/claim-<id>} from the template; an old one of that name is replaced. */
  Path prepare(long claimId) throws IOException {
    Files.createDirectories(workRoot);
    Path dir = workRoot.resolve("claim-" + claimId);
    remove(dir);
    if (cpWorks && copyWithCp(dir)) {
      return dir;
    }
    remove(dir);
    copyInJava(dir);
    return dir;
  }

  /** Makes an empty {@code workRoot/claim-<id>} (a launcher's): an old one of that name goes. */
  Path prepareEmpty(long claimId) throws IOException {
    Path dir = workRoot.resolve("claim-" + claimId);
    remove(dir);
    return Files.createDirectories(dir);
  }

  /**
   * GNU {@code cp --reflink=auto -a}; on macOS, {@code cp -c -a}, which clones each file on APFS
   * ({@code clonefile(2)}) and copies elsewhere.
   */
  static List<String> cpCommand(String os, Path from, Path to) {
    String src = from.toString() + "/.";
    return os.toLowerCase(java.util.Locale.ROOT).startsWith("mac")
        ? List.of("cp", "-c", "-a", src, to.toString())
        : List.of("cp", "--reflink=auto", "-a", src, to.toString());
  }

  /** The copy by {@link #cpCommand}; whether it made it. */
  private boolean copyWithCp(Path dir) throws IOException {
    List<String> command = cpCommand(System.getProperty("os.name", ""), template, dir);
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException noCp) {
      cpWorks = false;
      log.info("no cp on this host ({}); copying runner directories in Java", noCp.toString());
      return false;
    }
    try {
      // cp's output is small (its error, if any), and reading it to the end waits for cp to exit.
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() == 0) {
        return true;
      }
      // Not GNU cp (an unknown option), or it failed: the Java copy either works or says why.
      cpWorks = false;
      log.info(
          "{} did not copy {} ({}); copying runner directories in Java",
          String.join(" ", command.subList(0, 3)),
          template,
          out.lines().findFirst().orElse("exit " + p.exitValue()));
      return false;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while copying " + template);
    }
  }

  private void copyInJava(Path dir) throws IOException {
    Files.walkFileTree(
        template,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(dir.resolve(template.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Path to = dir.resolve(template.relativize(f).toString());
            if (attrs.isSymbolicLink()) {
              Files.createSymbolicLink(to, Files.readSymbolicLink(f));
            } else {
              Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Removes {@code dir} and everything in it, never following a symbolic link out of it. */
  static void remove(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            Files.delete(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}

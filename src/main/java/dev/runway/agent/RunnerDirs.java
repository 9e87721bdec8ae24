package dev.runway.agent;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fresh runner directory per job under {@code --work-root}: the runner writes its registration
 * and state into its own directory, so two jobs must never share one. Files are hard-linked from
 * {@code --runner-dir} where the file system allows it (fast, no space), else copied; directories
 * are always new, so what the runner creates stays in the job's directory.
 */
final class RunnerDirs {
  private static final Logger log = LoggerFactory.getLogger(RunnerDirs.class);

  private final Path template;
  private final Path workRoot;
  private volatile boolean linksWork = true;

  RunnerDirs(Path template, Path workRoot) {
    this.template = template;
    this.workRoot = workRoot;
  }

  /** Makes {@code workRoot/claim-<id>} from the template; an old one of that name is replaced. */
  Path prepare(long claimId) throws IOException {
    Files.createDirectories(workRoot);
    Path dir = workRoot.resolve("claim-" + claimId);
    remove(dir);
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
              linkOrCopy(f, to);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return dir;
  }

  private void linkOrCopy(Path from, Path to) throws IOException {
    if (linksWork) {
      try {
        Files.createLink(to, from);
        return;
      } catch (FileSystemException | UnsupportedOperationException e) {
        // Another file system, or one without hard links: copy from now on.
        linksWork = false;
        log.info("hard links from {} do not work here ({}); copying instead", template, e);
      }
    }
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
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

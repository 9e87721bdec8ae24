package dev.runway.cli.githubapp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * Writes the new App's private key and webhook secret where the operator asked, readable by the
 * owner only. Each file is created with mode 0600 in the same call that creates it, so there is no
 * moment when another user could open it; an existing file is never overwritten, because it may be
 * the only copy of another App's key.
 */
final class SecretFiles {

  static final String PRIVATE_KEY = "private-key.pem";
  static final String WEBHOOK_SECRET = "webhook-secret";

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final Path dir;

  SecretFiles(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  Path dir() {
    return dir;
  }

  Path privateKey() {
    return dir.resolve(PRIVATE_KEY);
  }

  Path webhookSecret() {
    return dir.resolve(WEBHOOK_SECRET);
  }

  /** The files this would write that already exist; checked before anything is created. */
  List<Path> existing() {
    return List.of(privateKey(), webhookSecret()).stream().filter(Files::exists).toList();
  }

  void write(CreatedApp app) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, attribute(OWNER_ONLY_DIR));
    }
    writeOwnerOnly(privateKey(), app.pem());
    writeOwnerOnly(webhookSecret(), app.webhookSecret());
  }

  private void writeOwnerOnly(Path file, String content) throws IOException {
    try (SeekableByteChannel channel =
        Files.newByteChannel(
            file,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            attribute(OWNER_ONLY))) {
      ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    } catch (FileAlreadyExistsException e) {
      throw new IOException(file + " already exists; not overwriting it", e);
    }
  }

  private FileAttribute<?>[] attribute(Set<PosixFilePermission> perms) {
    return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(perms)} : none();
  }

  private static FileAttribute<?>[] none() {
    return new FileAttribute<?>[0];
  }

  private boolean posix() {
    return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}

package dev.runway.ingest.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Reads a webhook body within a size bound and a deadline for the whole body, hashing it as it
 * arrives, with the memory it holds before verification bounded across all requests.
 *
 * <p>Memory follows the bytes that actually arrive, not the {@code Content-Length} the sender
 * declares: the body is read into 16 KiB chunks taken from {@link UnverifiedBytes}, one more only
 * when the last is full. An unsigned request that declares 24 MB and sends 1 KB costs 16 KiB. When
 * the pool has no chunk left, the body spills: what is held goes to a file, the chunks go back, and
 * the rest streams through one buffer of the request's own to that file. The HMACs are fed on the
 * way in either way, so verification needs no second pass, and an unsigned body on disk is never
 * read back.
 *
 * <p>The deadline covers the whole body. Between reads it is checked directly (a sender trickling a
 * byte at a time is cut off), and each blocking read gets the connection's idle timeout lowered to
 * what remains of the deadline (a sender that stalls is cut off too). Without this, the idle
 * timeout alone restarts with every byte, and a slow sender could hold a server thread for as long
 * as it likes.
 */
final class BodyReader {
  static final int CHUNK = 16 * 1024;

  /** Lowers the connection's idle timeout for the next read, and restores it afterwards. */
  interface ReadTimeout {
    void limit(Duration remaining);

    void restore();

    ReadTimeout NONE =
        new ReadTimeout() {
          @Override
          public void limit(Duration remaining) {}

          @Override
          public void restore() {}
        };
  }

  /** What reading the body came to. */
  sealed interface Result {}

  /**
   * A whole body, hashed, not yet verified. Its memory or file is released by {@link #close}; the
   * caller closes it on every path.
   */
  static final class Body implements Result, AutoCloseable {
    private final UnverifiedBytes pool;
    private final List<byte[]> chunks;
    private final Path file;
    private final int length;
    private boolean closed;

    private Body(UnverifiedBytes pool, List<byte[]> chunks, Path file, int length) {
      this.pool = pool;
      this.chunks = chunks;
      this.file = file;
      this.length = length;
    }

    /** Whether the body went to disk because the memory pool was full. */
    boolean spilled() {
      return file != null;
    }

    /** The bytes, joined into one array: call this only once the signature is verified. */
    byte[] bytes() throws IOException {
      if (file != null) {
        return Files.readAllBytes(file);
      }
      byte[] out = new byte[length];
      int at = 0;
      for (byte[] c : chunks) {
        int n = Math.min(c.length, length - at);
        System.arraycopy(c, 0, out, at, n);
        at += n;
      }
      return out;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      release(pool, chunks);
      if (file != null) {
        deleteQuietly(file);
        pool.releaseDisk(length);
      }
    }
  }

  /** The body is longer than the limit; the rest is not read. */
  record TooLarge() implements Result {}

  /** The body did not arrive within the deadline; the rest is not read. */
  record TooSlow() implements Result {}

  /** Neither memory nor spill disk is left for unverified bytes; the rest is not read. */
  record Overloaded() implements Result {}

  private final int maxBytes;
  private final Duration timeout;
  private final LongSupplier nanoTime;
  private final UnverifiedBytes pool;

  BodyReader(int maxBytes, Duration timeout, LongSupplier nanoTime, UnverifiedBytes pool) {
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.nanoTime = nanoTime;
    this.pool = pool;
  }

  Duration timeout() {
    return timeout;
  }

  /** Reads the whole body of {@code in}, feeding every byte to {@code digest} as it arrives. */
  Result read(InputStream in, ReadTimeout readTimeout, SignatureVerifier.Digest digest)
      throws IOException {
    long deadline = nanoTime.getAsLong() + timeout.toNanos();
    List<byte[]> chunks = new ArrayList<>();
    Spill spill = null;
    byte[] chunk = null;
    int inChunk = 0;
    int total = 0;
    boolean handedOver = false;
    try {
      while (true) {
        long remaining = deadline - nanoTime.getAsLong();
        if (remaining <= 0) {
          return new TooSlow();
        }
        if (spill == null && (chunk == null || inChunk == chunk.length)) {
          chunk = pool.take();
          if (chunk != null) {
            chunks.add(chunk);
          } else {
            spill = Spill.open(pool);
            if (spill == null || !spill.write(chunks, total)) {
              return new Overloaded();
            }
            release(pool, chunks);
            chunks.clear();
            chunk = new byte[CHUNK];
          }
          inChunk = 0;
        }
        readTimeout.limit(Duration.ofNanos(remaining));
        int n;
        try {
          n = in.read(chunk, inChunk, chunk.length - inChunk);
        } catch (IOException e) {
          if (deadline - nanoTime.getAsLong() <= 0) {
            return new TooSlow();
          }
          throw e;
        }
        if (n == -1) {
          Body body = spill != null ? spill.finish(total) : new Body(pool, chunks, null, total);
          handedOver = true;
          return body;
        }
        if (total + n > maxBytes) {
          return new TooLarge();
        }
        digest.update(chunk, inChunk, n);
        total += n;
        if (spill != null) {
          if (!spill.append(chunk, n)) {
            return new Overloaded();
          }
        } else {
          inChunk += n;
        }
      }
    } finally {
      readTimeout.restore();
      if (!handedOver) {
        release(pool, chunks);
        if (spill != null) {
          spill.discard();
        }
      }
    }
  }

  private static void release(UnverifiedBytes pool, List<byte[]> chunks) {
    for (byte[] c : chunks) {
      pool.give(c);
    }
    chunks.clear();
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // The directory is emptied at the next start.
    }
  }

  /**
   * The file a body spills to, and the disk it has reserved. Not fsynced: an unverified body that
   * is lost with the process was never answered, so nothing accepted is lost with it.
   */
  private static final class Spill {
    private final UnverifiedBytes pool;
    private final Path file;
    private final FileChannel out;
    private long reserved;

    private Spill(UnverifiedBytes pool, Path file, FileChannel out) {
      this.pool = pool;
      this.file = file;
      this.out = out;
    }

    /**
     * A new spill file, or null when the disk cap leaves no room for another chunk or no file can
     * be made: both are "overloaded", not a server error.
     */
    static Spill open(UnverifiedBytes pool) {
      if (pool.onDisk() + CHUNK > pool.diskCap()) {
        return null;
      }
      Path file = null;
      try {
        file = pool.spillFile();
        return new Spill(pool, file, FileChannel.open(file, StandardOpenOption.WRITE));
      } catch (IOException e) {
        if (file != null) {
          deleteQuietly(file);
        }
        return null;
      }
    }

    /** Writes the first {@code total} bytes held in {@code chunks}. */
    boolean write(List<byte[]> chunks, int total) {
      int left = total;
      for (byte[] c : chunks) {
        int n = Math.min(c.length, left);
        if (n > 0 && !append(c, n)) {
          return false;
        }
        left -= n;
      }
      return true;
    }

    /** Appends {@code n} bytes of {@code b}; false past the disk cap or when the disk fails. */
    boolean append(byte[] b, int n) {
      if (!pool.reserveDisk(n)) {
        return false;
      }
      reserved += n;
      ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
      try {
        while (buf.hasRemaining()) {
          out.write(buf);
        }
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    /** Hands the file to a {@link Body}, which then owns the file and the reservation. */
    Body finish(int total) throws IOException {
      out.close();
      if (reserved != total) {
        throw new IllegalStateException("spilled " + reserved + " bytes of " + total);
      }
      return new Body(pool, new ArrayList<>(), file, total);
    }

    void discard() {
      try {
        out.close();
      } catch (IOException ignored) {
        // Deleting it is what matters.
      }
      deleteQuietly(file);
      pool.releaseDisk(reserved);
    }
  }
}

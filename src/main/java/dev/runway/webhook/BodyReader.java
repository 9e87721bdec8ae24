package dev.runway.webhook;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Reads a webhook body within a size bound and a deadline for the whole body.
 *
 * <p>Memory follows the bytes that actually arrive, not the {@code Content-Length} the sender
 * declares: the body is read into 16 KiB chunks, one more only when the last is full, and joined
 * once complete. An unsigned request that declares 24 MB and sends 1 KB costs 16 KiB.
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

  record Body(byte[] bytes) implements Result {}

  /** The body is longer than the limit; the rest is not read. */
  record TooLarge() implements Result {}

  /** The body did not arrive within the deadline; the rest is not read. */
  record TooSlow() implements Result {}

  private final int maxBytes;
  private final Duration timeout;
  private final LongSupplier nanoTime;

  BodyReader(int maxBytes, Duration timeout, LongSupplier nanoTime) {
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.nanoTime = nanoTime;
  }

  Duration timeout() {
    return timeout;
  }

  Result read(InputStream in, ReadTimeout readTimeout) throws IOException {
    long deadline = nanoTime.getAsLong() + timeout.toNanos();
    List<byte[]> chunks = new ArrayList<>();
    byte[] chunk = null;
    int inChunk = 0;
    int total = 0;
    try {
      while (true) {
        long remaining = deadline - nanoTime.getAsLong();
        if (remaining <= 0) {
          return new TooSlow();
        }
        if (chunk == null || inChunk == chunk.length) {
          chunk = new byte[CHUNK];
          chunks.add(chunk);
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
          return new Body(join(chunks, total));
        }
        if (total + n > maxBytes) {
          return new TooLarge();
        }
        inChunk += n;
        total += n;
      }
    } finally {
      readTimeout.restore();
    }
  }

  private static byte[] join(List<byte[]> chunks, int total) {
    byte[] out = new byte[total];
    int at = 0;
    for (byte[] c : chunks) {
      int n = Math.min(c.length, total - at);
      System.arraycopy(c, 0, out, at, n);
      at += n;
    }
    return out;
  }
}

package dev.runway.ingest.webhook;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of webhook bodies whose signature is not verified yet, bounded across all requests.
 *
 * <p>A signature can be checked only once the whole body is in, so every request holds its body
 * unverified for a while; a per-request bound alone lets 30 concurrent unsigned 25 MB bodies take a
 * 1 GiB pod down. Here memory for unverified bytes comes from one pool of {@link BodyReader#CHUNK}
 * chunks, at most {@code memoryCap} bytes in all. A body that cannot get a chunk spills to a file
 * in {@code spillDir} and goes on being hashed as it arrives; only a signed one is read back.
 *
 * <p>Why spill rather than answer 503: a flood of unsigned bodies fills the memory pool whatever
 * the answer, and GitHub never retries a delivery that got a 5xx. Refusing past the cap would hand
 * the attacker every real delivery sent during the flood. Spilling costs disk bandwidth, which the
 * flood's own network bandwidth bounds. The disk is bounded too ({@code diskCap}); only past both
 * caps is a request refused with 503 and {@code Retry-After} (and the redelivery reconciler asks
 * GitHub for the delivery again later).
 *
 * <p>Chunks are reused, not left to the collector: a flood then allocates nothing per request and
 * the heap does not grow with it. A chunk handed back may hold another request's bytes; readers
 * track their own lengths and never read past what they wrote.
 */
final class UnverifiedBytes {
  private final long memoryCap;
  private final long diskCap;
  private final Path spillDir;
  private final AtomicLong inMemory = new AtomicLong();
  private final AtomicLong onDisk = new AtomicLong();
  private final ConcurrentLinkedQueue<byte[]> free = new ConcurrentLinkedQueue<>();

  UnverifiedBytes(long memoryCap, long diskCap, Path spillDir) {
    if (memoryCap < BodyReader.CHUNK) {
      throw new IllegalArgumentException("memory cap below one chunk: " + memoryCap);
    }
    this.memoryCap = memoryCap;
    this.diskCap = diskCap;
    this.spillDir = spillDir;
  }

  /**
   * Creates the spill directory and deletes what a previous process left in it: files of requests
   * that were never answered, so nothing in them was accepted.
   */
  UnverifiedBytes open() {
    try {
      Files.createDirectories(spillDir);
      try (DirectoryStream<Path> left = Files.newDirectoryStream(spillDir, "*.body")) {
        for (Path p : left) {
          Files.deleteIfExists(p);
        }
      }
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare webhook spill directory " + spillDir, e);
    }
  }

  /** A chunk for unverified bytes, or null when the memory cap is reached. */
  byte[] take() {
    long now;
    do {
      now = inMemory.get();
      if (now + BodyReader.CHUNK > memoryCap) {
        return null;
      }
    } while (!inMemory.compareAndSet(now, now + BodyReader.CHUNK));
    byte[] c = free.poll();
    return c != null ? c : new byte[BodyReader.CHUNK];
  }

  /** Hands back a chunk from {@link #take}; its owner must not touch it afterwards. */
  void give(byte[] chunk) {
    free.offer(chunk);
    inMemory.addAndGet(-BodyReader.CHUNK);
  }

  /** Reserves {@code n} bytes of spill disk; false when that would pass the disk cap. */
  boolean reserveDisk(long n) {
    long now;
    do {
      now = onDisk.get();
      if (now + n > diskCap) {
        return false;
      }
    } while (!onDisk.compareAndSet(now, now + n));
    return true;
  }

  void releaseDisk(long n) {
    onDisk.addAndGet(-n);
  }

  Path spillFile() throws IOException {
    return Files.createTempFile(spillDir, "unverified-", ".body");
  }

  long inMemory() {
    return inMemory.get();
  }

  long onDisk() {
    return onDisk.get();
  }

  long memoryCap() {
    return memoryCap;
  }

  long diskCap() {
    return diskCap;
  }

  /** {@code runway_webhook_unverified_bytes{where="memory"|"disk"}}. */
  void register(MeterRegistry registry) {
    Gauge.builder("runway.webhook.unverified", inMemory::get)
        .description("Bytes of webhook bodies held before their signature is verified")
        .baseUnit("bytes")
        .tag("where", "memory")
        .register(registry);
    Gauge.builder("runway.webhook.unverified", onDisk::get)
        .description("Bytes of webhook bodies held before their signature is verified")
        .baseUnit("bytes")
        .tag("where", "disk")
        .register(registry);
  }
}

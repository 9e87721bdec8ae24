package dev.runway.ingest.spool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only, fsynced log of deliveries on local disk: where the webhook path puts a delivery
 * when the database cannot take it in time.
 *
 * <p>Appends are group-committed by one writer thread: it writes everything queued and calls {@code
 * fsync} once, then completes each caller's future. A caller may answer GitHub only after its
 * future completes. The spool is a set of segment files; the drainer seals the active segment,
 * replays sealed ones into the database and deletes each only after its rows have committed.
 *
 * <p>A failed write is truncated away (or its segment is sealed) so that a later record never sits
 * behind garbage; a torn tail can therefore only come from a crash, and {@link #read} stops there.
 */
public final class Spool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Spool.class);
  private static final String PREFIX = "spool-";
  private static final String SUFFIX = ".log";

  /**
   * A segment is sealed once it passes this size, so that a long outage leaves many bounded
   * segments rather than one huge file, and the drainer never holds more than one in memory.
   */
  static final long SEGMENT_BYTES = 16L * 1024 * 1024;

  private record Append(byte[] frame, CompletableFuture<Void> done) {}

  private final Path dir;
  private final long maxBytes;
  private final BlockingQueue<Append> queue = new LinkedBlockingQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final Object lock = new Object();
  private final Thread writer;
  private long segmentSeq;
  private FileChannel active;
  private Path activePath;
  private volatile boolean running = true;

  /** Opens the spool in {@code dir}, creating it, and counts what an earlier process left. */
  public Spool(Path dir, long maxBytes) throws IOException {
    this.dir = dir;
    this.maxBytes = maxBytes;
    Files.createDirectories(dir);
    for (Path p : segments()) {
      bytes.addAndGet(Files.size(p));
      records.addAndGet(countRecords(p));
    }
    this.segmentSeq = System.currentTimeMillis() * 1000;
    this.writer = new Thread(this::run, "spool-writer");
    writer.setDaemon(true);
    writer.start();
    if (records.get() > 0) {
      log.info("spool in {} holds {} delivery(ies) from an earlier run", dir, records.get());
    }
  }

  /**
   * Appends the record durably. The future completes once it is fsynced, or fails with {@link
   * SpoolFullException} when nothing could be stored.
   */
  public CompletableFuture<Void> append(SpoolRecord record) {
    byte[] frame = record.frame();
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!running) {
      done.completeExceptionally(new SpoolFullException("spool is closed"));
    } else if (bytes.get() + frame.length > maxBytes) {
      done.completeExceptionally(
          new SpoolFullException(
              "spool is over its maximum size (" + maxBytes + " bytes, RUNWAY_SPOOL_MAX_BYTES)"));
    } else {
      queue.add(new Append(frame, done));
    }
    return done;
  }

  /** Whether an append could succeed now: the writer runs and the size limit leaves room. */
  public boolean canAccept() {
    return running && writer.isAlive() && bytes.get() < maxBytes && Files.isWritable(dir);
  }

  /** Deliveries waiting in the spool. */
  public long depth() {
    return records.get();
  }

  public long sizeBytes() {
    return bytes.get();
  }

  private void run() {
    List<Append> batch = new ArrayList<>();
    while (running || !queue.isEmpty()) {
      try {
        Append first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch);
        writeBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("spool writer failed; continuing", e);
        batch.forEach(a -> a.done().completeExceptionally(new SpoolFullException(e.toString(), e)));
      } finally {
        batch.clear();
      }
    }
    // Anything left when the writer stops cannot be made durable any more.
    Append a;
    while ((a = queue.poll()) != null) {
      a.done().completeExceptionally(new SpoolFullException("spool is closed"));
    }
  }

  private void writeBatch(List<Append> batch) {
    long size = 0;
    for (Append a : batch) {
      size += a.frame().length;
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE, size));
    batch.forEach(a -> buf.put(a.frame()));
    buf.flip();
    synchronized (lock) {
      long before = -1;
      try {
        FileChannel ch = activeChannel();
        before = ch.position();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(false);
        if (ch.position() >= SEGMENT_BYTES) {
          closeActive();
        }
      } catch (IOException e) {
        undoPartialWrite(before);
        SpoolFullException failure =
            new SpoolFullException("spool write failed in " + dir + ": " + e.getMessage(), e);
        log.error("{}", failure.getMessage());
        batch.forEach(a -> a.done().completeExceptionally(failure));
        return;
      }
    }
    bytes.addAndGet(size);
    records.addAndGet(batch.size());
    batch.forEach(a -> a.done().complete(null));
  }

  private void undoPartialWrite(long before) {
    if (active == null) {
      return;
    }
    try {
      if (before >= 0) {
        active.truncate(before);
        active.position(before);
        active.force(false);
      }
    } catch (IOException e) {
      // Could not cut the garbage off: seal the segment so no record lands behind it.
      log.warn("could not truncate spool segment {} after a failed write; sealing it", activePath);
      closeActive();
    }
  }

  private FileChannel activeChannel() throws IOException {
    if (active == null) {
      activePath = dir.resolve(PREFIX + String.format("%020d", ++segmentSeq) + SUFFIX);
      active =
          FileChannel.open(
              activePath,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND);
      // The new file's directory entry must be durable too, or a crash can lose the file.
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    }
    return active;
  }

  private void closeActive() {
    if (active != null) {
      try {
        active.close();
      } catch (IOException e) {
        log.warn("closing spool segment {}: {}", activePath, e.toString());
      }
      active = null;
      activePath = null;
    }
  }

  /**
   * Seals the active segment so that new appends go to a fresh one, and returns every sealed
   * segment, oldest first. Only the drainer calls this.
   */
  public List<Path> sealForDrain() throws IOException {
    synchronized (lock) {
      closeActive();
      return segments();
    }
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(
              p -> {
                String n = p.getFileName().toString();
                return n.startsWith(PREFIX) && n.endsWith(SUFFIX);
              })
          .sorted()
          .toList();
    }
  }

  /** Counts the frames of a segment without reading their bodies into memory. */
  static long countRecords(Path segment) throws IOException {
    long n = 0;
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(SpoolRecord.HEADER);
      long size = ch.size();
      long pos = 0;
      while (pos + SpoolRecord.HEADER <= size) {
        header.clear();
        ch.read(header, pos);
        header.flip();
        int magic = header.getInt();
        int length = header.getInt();
        if (magic != SpoolRecord.MAGIC || length < 0 || pos + SpoolRecord.HEADER + length > size) {
          break;
        }
        pos += SpoolRecord.HEADER + length;
        n++;
      }
    }
    return n;
  }

  /** The records of one segment, and whether it ended in a torn or corrupt record. */
  public record Segment(Path path, List<SpoolRecord> records, boolean tornTail) {}

  /**
   * Reads every complete record of a segment, stopping at the first one whose frame or checksum is
   * wrong: that is a torn write from a crash, and what follows it cannot be trusted.
   */
  public static Segment read(Path segment) throws IOException {
    List<SpoolRecord> out = new ArrayList<>();
    try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(segment))) {
      byte[] header = new byte[SpoolRecord.HEADER];
      while (true) {
        int n = in.readNBytes(header, 0, header.length);
        if (n == 0) {
          return new Segment(segment, out, false);
        }
        if (n < header.length) {
          return new Segment(segment, out, true);
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        int magic = h.getInt();
        int length = h.getInt();
        int crc = h.getInt();
        if (magic != SpoolRecord.MAGIC || length < 0 || length > 64 * 1024 * 1024) {
          return new Segment(segment, out, true);
        }
        byte[] data = in.readNBytes(length);
        if (data.length < length || !SpoolRecord.checksumMatches(data, crc)) {
          return new Segment(segment, out, true);
        }
        out.add(SpoolRecord.decode(data));
      }
    }
  }

  /**
   * Removes a drained segment; its records are in the database now. A segment with a torn tail is
   * renamed to {@code *.torn} instead, for inspection.
   */
  public void delete(Segment segment) throws IOException {
    long size = Files.size(segment.path());
    if (segment.tornTail()) {
      Files.move(
          segment.path(),
          segment.path().resolveSibling(segment.path().getFileName() + ".torn"),
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.delete(segment.path());
    }
    bytes.addAndGet(-size);
    records.addAndGet(-segment.records().size());
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    running = false;
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (lock) {
      closeActive();
    }
  }
}

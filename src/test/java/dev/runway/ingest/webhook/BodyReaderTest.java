package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BodyReaderTest {
  static final String SECRET = "body-reader-secret";
  final AtomicLong now = new AtomicLong();
  @TempDir Path spillDir;
  UnverifiedBytes pool;

  @BeforeEach
  void pool() {
    pool = new UnverifiedBytes(1 << 30, 1 << 30, spillDir).open();
  }

  BodyReader reader(int max, Duration timeout) {
    return new BodyReader(max, timeout, now::get, pool);
  }

  static SignatureVerifier.Digest digest() {
    return new SignatureVerifier(List.of(SECRET)).digest();
  }

  @Test
  void a_body_spanning_many_chunks_and_short_reads_comes_back_byte_for_byte() throws IOException {
    byte[] body = new byte[3 * BodyReader.CHUNK + 123];
    new Random(7).nextBytes(body);
    InputStream trickling =
        new ByteArrayInputStream(body) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 1000));
          }
        };
    BodyReader.Result r =
        reader(1 << 20, Duration.ofSeconds(5)).read(trickling, noTimeout(), digest());
    assertThat(r).isInstanceOf(BodyReader.Body.class);
    assertThat(((BodyReader.Body) r).bytes()).isEqualTo(body);
  }

  @Test
  void an_empty_body_is_an_empty_array() throws IOException {
    BodyReader.Result r =
        reader(10, Duration.ofSeconds(5))
            .read(new ByteArrayInputStream(new byte[0]), noTimeout(), digest());
    assertThat(((BodyReader.Body) r).bytes()).isEmpty();
  }

  @Test
  void one_byte_over_the_limit_is_too_large_and_the_rest_is_not_read() throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(new byte[5 * BodyReader.CHUNK]);
    BodyReader.Result r =
        reader(BodyReader.CHUNK, Duration.ofSeconds(5)).read(in, noTimeout(), digest());
    assertThat(r).isInstanceOf(BodyReader.TooLarge.class);
    assertThat(in.available()).isGreaterThan(2 * BodyReader.CHUNK);
  }

  @Test
  void a_body_still_arriving_at_the_deadline_is_too_slow() throws IOException {
    // Each read returns one byte and takes 400 ms of the 1 s deadline.
    InputStream slow =
        new InputStream() {
          @Override
          public int read() {
            now.addAndGet(Duration.ofMillis(400).toNanos());
            return 'x';
          }

          @Override
          public int read(byte[] b, int off, int len) {
            b[off] = (byte) read();
            return 1;
          }
        };
    assertThat(reader(1 << 20, Duration.ofSeconds(1)).read(slow, noTimeout(), digest()))
        .isInstanceOf(BodyReader.TooSlow.class);
  }

  @Test
  void each_read_is_limited_to_what_remains_of_the_deadline_and_the_limit_is_restored()
      throws IOException {
    StringBuilder calls = new StringBuilder();
    BodyReader.ReadTimeout recording =
        new BodyReader.ReadTimeout() {
          @Override
          public void limit(Duration remaining) {
            calls.append("limit ").append(remaining.toMillis()).append(';');
          }

          @Override
          public void restore() {
            calls.append("restore;");
          }
        };
    InputStream twoReads =
        new InputStream() {
          int reads;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) {
            now.addAndGet(Duration.ofMillis(300).toNanos());
            return reads++ == 0 ? 1 : -1;
          }
        };
    reader(100, Duration.ofSeconds(1)).read(twoReads, recording, digest());
    assertThat(calls.toString()).isEqualTo("limit 1000;limit 700;restore;");
  }

  @Test
  void a_read_failing_after_the_deadline_is_too_slow_and_one_before_it_is_an_error() {
    InputStream timesOut =
        new InputStream() {
          @Override
          public int read() throws IOException {
            now.addAndGet(Duration.ofSeconds(2).toNanos());
            throw new IOException("idle timeout");
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return read();
          }
        };
    BodyReader r = reader(100, Duration.ofSeconds(1));
    try {
      assertThat(r.read(timesOut, noTimeout(), digest())).isInstanceOf(BodyReader.TooSlow.class);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    InputStream resets =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("connection reset");
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return read();
          }
        };
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.read(resets, noTimeout(), digest()))
        .isInstanceOf(IOException.class);
  }

  /** A stream of {@code body} that returns at most 5,000 bytes a read. */
  static InputStream chunked(byte[] body) {
    return new ByteArrayInputStream(body) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 5000));
      }
    };
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  long spillFiles() throws IOException {
    try (var files = Files.list(spillDir)) {
      return files.count();
    }
  }

  @Test
  void a_body_past_the_memory_cap_spills_to_disk_and_is_verified_and_read_back_byte_for_byte()
      throws IOException {
    pool = new UnverifiedBytes(4 * BodyReader.CHUNK, 1 << 30, spillDir).open();
    byte[] body = random(10 * BodyReader.CHUNK + 77, 11);
    SignatureVerifier.Digest d = digest();
    BodyReader.Result r =
        reader(1 << 20, Duration.ofSeconds(5)).read(chunked(body), noTimeout(), d);
    try (BodyReader.Body b = (BodyReader.Body) r) {
      assertThat(b.spilled()).isTrue();
      // The chunks it held before spilling went back; the bytes are on disk.
      assertThat(pool.inMemory()).isZero();
      assertThat(pool.onDisk()).isEqualTo(body.length);
      assertThat(d.matches(SignatureVerifier.sign(SECRET, body))).isTrue();
      assertThat(b.bytes()).isEqualTo(body);
    }
    assertThat(pool.onDisk()).isZero();
    assertThat(spillFiles()).isZero();
  }

  @Test
  void a_body_under_the_cap_stays_in_memory_and_its_chunks_go_back_on_close() throws IOException {
    pool = new UnverifiedBytes(4 * BodyReader.CHUNK, 1 << 30, spillDir).open();
    byte[] body = random(3 * BodyReader.CHUNK, 12);
    SignatureVerifier.Digest d = digest();
    try (BodyReader.Body b =
        (BodyReader.Body)
            reader(1 << 20, Duration.ofSeconds(5)).read(chunked(body), noTimeout(), d)) {
      assertThat(b.spilled()).isFalse();
      // One more chunk than the body fills: the read that returns -1 needs somewhere to go.
      assertThat(pool.inMemory()).isEqualTo(4L * BodyReader.CHUNK);
      assertThat(d.matches(SignatureVerifier.sign(SECRET, body))).isTrue();
      assertThat(b.bytes()).isEqualTo(body);
    }
    assertThat(pool.inMemory()).isZero();
    // A digest of another body, or a wrong secret, does not match.
    SignatureVerifier.Digest other = digest();
    other.update(body, 0, body.length - 1);
    assertThat(other.matches(SignatureVerifier.sign(SECRET, body))).isFalse();
  }

  @Test
  void bodies_held_at_once_never_take_more_memory_than_the_cap() throws IOException {
    pool = new UnverifiedBytes(8 * BodyReader.CHUNK, 1 << 30, spillDir).open();
    BodyReader reader = reader(1 << 20, Duration.ofSeconds(5));
    List<BodyReader.Body> held = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        byte[] body = random(3 * BodyReader.CHUNK, 100 + i);
        SignatureVerifier.Digest d = digest();
        BodyReader.Body b = (BodyReader.Body) reader.read(chunked(body), noTimeout(), d);
        held.add(b);
        assertThat(pool.inMemory()).isLessThanOrEqualTo(pool.memoryCap());
        assertThat(b.bytes()).isEqualTo(body);
        assertThat(d.matches(SignatureVerifier.sign(SECRET, body))).isTrue();
      }
      assertThat(held).filteredOn(BodyReader.Body::spilled).hasSizeGreaterThanOrEqualTo(4);
    } finally {
      held.forEach(BodyReader.Body::close);
    }
    assertThat(pool.inMemory()).isZero();
    assertThat(pool.onDisk()).isZero();
    assertThat(spillFiles()).isZero();
  }

  @Test
  void with_memory_and_spill_disk_both_full_the_body_is_overloaded_and_nothing_stays_held()
      throws IOException {
    pool = new UnverifiedBytes(2 * BodyReader.CHUNK, 3 * BodyReader.CHUNK, spillDir).open();
    BodyReader.Result r =
        reader(1 << 20, Duration.ofSeconds(5))
            .read(chunked(random(8 * BodyReader.CHUNK, 13)), noTimeout(), digest());
    assertThat(r).isInstanceOf(BodyReader.Overloaded.class);
    assertThat(pool.inMemory()).isZero();
    assertThat(pool.onDisk()).isZero();
    assertThat(spillFiles()).isZero();
  }

  @Test
  void a_spilled_body_over_the_limit_is_too_large_and_its_file_is_gone() throws IOException {
    pool = new UnverifiedBytes(2 * BodyReader.CHUNK, 1 << 30, spillDir).open();
    BodyReader.Result r =
        reader(6 * BodyReader.CHUNK, Duration.ofSeconds(5))
            .read(chunked(random(8 * BodyReader.CHUNK, 14)), noTimeout(), digest());
    assertThat(r).isInstanceOf(BodyReader.TooLarge.class);
    assertThat(pool.onDisk()).isZero();
    assertThat(spillFiles()).isZero();
  }

  @Test
  void files_left_by_a_previous_process_are_deleted_at_start() throws IOException {
    Files.write(spillDir.resolve("unverified-1.body"), new byte[] {1, 2, 3});
    new UnverifiedBytes(1 << 20, 1 << 20, spillDir).open();
    assertThat(spillFiles()).isZero();
  }

  private static BodyReader.ReadTimeout noTimeout() {
    return BodyReader.ReadTimeout.NONE;
  }
}

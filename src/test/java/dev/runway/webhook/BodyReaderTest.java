package dev.runway.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BodyReaderTest {
  final AtomicLong now = new AtomicLong();

  BodyReader reader(int max, Duration timeout) {
    return new BodyReader(max, timeout, now::get);
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
    BodyReader.Result r = reader(1 << 20, Duration.ofSeconds(5)).read(trickling, noTimeout());
    assertThat(r).isInstanceOf(BodyReader.Body.class);
    assertThat(((BodyReader.Body) r).bytes()).isEqualTo(body);
  }

  @Test
  void an_empty_body_is_an_empty_array() throws IOException {
    BodyReader.Result r =
        reader(10, Duration.ofSeconds(5)).read(new ByteArrayInputStream(new byte[0]), noTimeout());
    assertThat(((BodyReader.Body) r).bytes()).isEmpty();
  }

  @Test
  void one_byte_over_the_limit_is_too_large_and_the_rest_is_not_read() throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(new byte[5 * BodyReader.CHUNK]);
    BodyReader.Result r = reader(BodyReader.CHUNK, Duration.ofSeconds(5)).read(in, noTimeout());
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
    assertThat(reader(1 << 20, Duration.ofSeconds(1)).read(slow, noTimeout()))
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
    reader(100, Duration.ofSeconds(1)).read(twoReads, recording);
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
      assertThat(r.read(timesOut, noTimeout())).isInstanceOf(BodyReader.TooSlow.class);
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
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.read(resets, noTimeout()))
        .isInstanceOf(IOException.class);
  }

  private static BodyReader.ReadTimeout noTimeout() {
    return BodyReader.ReadTimeout.NONE;
  }
}

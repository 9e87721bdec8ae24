package dev.runway.ingest.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
  @TempDir Path dir;

  private static SpoolRecord record(int i) {
    return new SpoolRecord(
        "guid-" + i,
        "workflow_job",
        (long) i,
        Instant.parse("2026-05-19T15:20:04.123456Z"),
        ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void appended_records_read_back_exactly_after_the_spool_is_reopened() throws Exception {
    try (Spool spool = new Spool(dir, 1 << 20)) {
      for (int i = 0; i < 5; i++) {
        spool.append(record(i)).get();
      }
      assertThat(spool.depth()).isEqualTo(5);
    }
    try (Spool reopened = new Spool(dir, 1 << 20)) {
      assertThat(reopened.depth()).isEqualTo(5);
      List<Path> segments = reopened.sealForDrain();
      assertThat(segments).hasSize(1);
      Spool.Segment s = Spool.read(segments.get(0));
      assertThat(s.tornTail()).isFalse();
      assertThat(s.records())
          .extracting(SpoolRecord::guid)
          .containsExactly("guid-0", "guid-1", "guid-2", "guid-3", "guid-4");
      assertThat(s.records().get(2).body()).isEqualTo(record(2).body());
      assertThat(s.records().get(2).receivedAt()).isEqualTo(record(2).receivedAt());
      assertThat(s.records().get(2).hookId()).isEqualTo(2L);
    }
  }

  @Test
  void a_torn_final_record_is_skipped_and_every_record_before_it_is_recovered() throws Exception {
    Path segment;
    try (Spool spool = new Spool(dir, 1 << 20)) {
      for (int i = 0; i < 3; i++) {
        spool.append(record(i)).get();
      }
      segment = spool.sealForDrain().get(0);
    }
    // A crash in the middle of a write leaves half a frame at the end.
    byte[] frame = record(3).frame();
    Files.write(
        segment, java.util.Arrays.copyOf(frame, frame.length / 2), StandardOpenOption.APPEND);

    Spool.Segment s = Spool.read(segment);
    assertThat(s.tornTail()).isTrue();
    assertThat(s.records())
        .extracting(SpoolRecord::guid)
        .containsExactly("guid-0", "guid-1", "guid-2");
  }

  @Test
  void a_corrupt_checksum_stops_the_read_at_that_record() throws Exception {
    Path segment;
    try (Spool spool = new Spool(dir, 1 << 20)) {
      spool.append(record(0)).get();
      spool.append(record(1)).get();
      segment = spool.sealForDrain().get(0);
    }
    byte[] bytes = Files.readAllBytes(segment);
    bytes[bytes.length - 2] ^= 0x55; // flip bits inside the second record's data
    Files.write(segment, bytes);

    Spool.Segment s = Spool.read(segment);
    assertThat(s.tornTail()).isTrue();
    assertThat(s.records()).extracting(SpoolRecord::guid).containsExactly("guid-0");
  }

  @Test
  void a_spool_over_its_maximum_refuses_with_a_clear_error() throws Exception {
    try (Spool spool = new Spool(dir, 1 << 20)) {
      byte[] big = new byte[700 * 1024];
      spool.append(new SpoolRecord("a", "workflow_job", null, Instant.now(), big)).get();
      assertThatThrownBy(
              () ->
                  spool
                      .append(new SpoolRecord("b", "workflow_job", null, Instant.now(), big))
                      .get())
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(SpoolFullException.class)
          .hasMessageContaining("RUNWAY_SPOOL_MAX_BYTES");
      assertThat(spool.depth()).isEqualTo(1);
      assertThat(spool.canAccept()).isTrue();
    }
  }

  @Test
  void deleting_a_drained_segment_empties_the_spool_and_new_appends_go_to_a_new_segment()
      throws Exception {
    try (Spool spool = new Spool(dir, 1 << 20)) {
      spool.append(record(0)).get();
      List<Path> sealed = spool.sealForDrain();
      spool.append(record(1)).get();
      spool.delete(Spool.read(sealed.get(0)));
      assertThat(spool.depth()).isEqualTo(1);
      List<Path> next = spool.sealForDrain();
      assertThat(next).hasSize(1).doesNotContain(sealed.get(0));
      assertThat(Spool.read(next.get(0)).records())
          .extracting(SpoolRecord::guid)
          .containsExactly("guid-1");
    }
  }

  @Test
  void a_long_outage_fills_many_bounded_segments_not_one_huge_file() throws Exception {
    try (Spool spool = new Spool(dir, 64L * 1024 * 1024)) {
      byte[] body = new byte[1024 * 1024];
      for (int i = 0; i < 40; i++) {
        spool.append(new SpoolRecord("g" + i, "workflow_job", null, Instant.now(), body)).get();
      }
      List<Path> segments = spool.sealForDrain();
      assertThat(segments).hasSizeGreaterThanOrEqualTo(2);
      for (Path p : segments) {
        assertThat(Files.size(p)).isLessThan(Spool.SEGMENT_BYTES + 2L * 1024 * 1024);
      }
      assertThat(
              segments.stream()
                  .mapToLong(
                      p -> {
                        try {
                          return Spool.countRecords(p);
                        } catch (java.io.IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                      })
                  .sum())
          .isEqualTo(40);
    }
    try (Spool reopened = new Spool(dir, 64L * 1024 * 1024)) {
      assertThat(reopened.depth()).isEqualTo(40);
    }
  }
}

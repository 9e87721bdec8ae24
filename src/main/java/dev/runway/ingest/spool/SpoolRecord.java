package dev.runway.ingest.spool;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.zip.CRC32C;

/**
 * What the spool keeps of one delivery: enough to rebuild it exactly (the headers Runway uses and
 * the raw body).
 *
 * <p>On disk a record is framed as {@code magic:int, length:int, crc32c:int, data[length]}. The
 * checksum covers the data, so a torn or corrupt record is recognised and skipped, not replayed.
 */
public record SpoolRecord(String guid, String event, Long hookId, Instant receivedAt, byte[] body) {
  static final int MAGIC = 0x52575931; // "RWY1"
  static final int HEADER = 12;

  byte[] frame() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + 128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(guid);
      out.writeUTF(event);
      out.writeLong(hookId == null ? Long.MIN_VALUE : hookId);
      out.writeLong(receivedAt.getEpochSecond());
      out.writeInt(receivedAt.getNano());
      out.writeInt(body.length);
      out.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] data = bytes.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(data);
    return ByteBuffer.allocate(HEADER + data.length)
        .putInt(MAGIC)
        .putInt(data.length)
        .putInt((int) crc.getValue())
        .put(data)
        .array();
  }

  static SpoolRecord decode(byte[] data) throws IOException {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      String guid = in.readUTF();
      String event = in.readUTF();
      long hook = in.readLong();
      Instant at = Instant.ofEpochSecond(in.readLong(), in.readInt());
      byte[] body = new byte[in.readInt()];
      in.readFully(body);
      return new SpoolRecord(guid, event, hook == Long.MIN_VALUE ? null : hook, at, body);
    }
  }

  static boolean checksumMatches(byte[] data, int expected) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return (int) crc.getValue() == expected;
  }

  @Override
  public String toString() {
    return "SpoolRecord[guid=" + guid + ", event=" + event + "]";
  }
}

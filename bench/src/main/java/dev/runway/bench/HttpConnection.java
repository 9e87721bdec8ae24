package dev.runway.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 keep-alive connection over a plain socket: write a request, read the whole answer
 * (Content-Length, chunked, or until close). Plain sockets keep the client cheap and keep the
 * number of connections exactly what was asked for, which {@code java.net.http} does not promise.
 */
final class HttpConnection implements AutoCloseable {
  private final String host;
  private final int port;
  private final int timeoutMillis;
  private Socket socket;
  private OutputStream out;
  private InputStream in;
  private final byte[] line = new byte[8192];

  HttpConnection(URI url, int timeoutMillis) {
    this.host = url.getHost();
    this.port = url.getPort() > 0 ? url.getPort() : 80;
    this.timeoutMillis = timeoutMillis;
  }

  boolean isOpen() {
    return socket != null;
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(timeoutMillis);
    s.connect(new InetSocketAddress(host, port), timeoutMillis);
    socket = s;
    out = new BufferedOutputStream(s.getOutputStream(), 16384);
    in = new BufferedInputStream(s.getInputStream(), 16384);
  }

  /** Sends {@code head} (request line and headers, ending in a blank line) and {@code body}. */
  int exchange(byte[] head, byte[] body) throws IOException {
    if (socket == null) {
      connect();
    }
    try {
      out.write(head);
      out.write(body);
      out.flush();
      return readResponse();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private int readResponse() throws IOException {
    String status = readLine();
    // "HTTP/1.1 202 Accepted"
    int sp = status.indexOf(' ');
    if (sp < 0 || status.length() < sp + 4) {
      throw new IOException("bad status line: " + status);
    }
    int code = Integer.parseInt(status.substring(sp + 1, sp + 4));
    long length = -1;
    boolean chunked = false;
    boolean closeAfter = status.startsWith("HTTP/1.0");
    while (true) {
      String h = readLine();
      if (h.isEmpty()) {
        break;
      }
      int colon = h.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      } else if (name.equals("connection")) {
        closeAfter = value.equalsIgnoreCase("close");
      }
    }
    if (chunked) {
      while (true) {
        String size = readLine();
        int semi = size.indexOf(';');
        long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        if (n == 0) {
          while (!readLine().isEmpty()) {
            // trailers
          }
          break;
        }
        skip(n);
        readLine();
      }
    } else if (length >= 0) {
      skip(length);
    } else if (code != 204 && code != 304) {
      while (in.read(line) >= 0) {
        // until close
      }
      closeAfter = true;
    }
    if (closeAfter) {
      close();
    }
    return code;
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      int r = in.read(line, 0, (int) Math.min(line.length, n));
      if (r < 0) {
        throw new EOFException("connection closed mid-body");
      }
      n -= r;
    }
  }

  private String readLine() throws IOException {
    int n = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed");
      }
      if (b == '\n') {
        break;
      }
      if (b != '\r' && n < line.length) {
        line[n++] = (byte) b;
      }
    }
    return new String(line, 0, n, StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    socket = null;
    out = null;
    in = null;
  }
}

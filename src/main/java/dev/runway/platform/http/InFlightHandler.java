package dev.runway.platform.http;

import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Counts requests between their arrival and their completed answer, for a graceful stop. */
final class InFlightHandler extends Handler.Wrapper {
  private final AtomicInteger inFlight = new AtomicInteger();

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    inFlight.incrementAndGet();
    boolean handled = false;
    try {
      handled = super.handle(request, response, Callback.from(callback, inFlight::decrementAndGet));
      return handled;
    } finally {
      if (!handled) {
        inFlight.decrementAndGet();
      }
    }
  }

  int inFlight() {
    return inFlight.get();
  }
}

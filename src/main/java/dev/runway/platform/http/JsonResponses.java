package dev.runway.platform.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.io.IOException;

/** Writes JSON with Runway's mapper (snake_case, ISO instants). */
public final class JsonResponses {
  private final ObjectMapper json;

  public JsonResponses(ObjectMapper json) {
    this.json = json;
  }

  public void send(Context ctx, int status, Object body) throws IOException {
    ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
  }

  public ObjectMapper mapper() {
    return json;
  }
}

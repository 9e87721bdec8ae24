package dev.runway.platform.http;

/**
 * A feature's HTTP routes. Each feature says which listener a route belongs on: the public one
 * ({@code RUNWAY_PORT}: what GitHub and runner agents need) or the management one ({@code
 * RUNWAY_ADMIN_PORT}: operators, Prometheus). A route on neither is served nowhere.
 */
public interface HttpRoutes {
  void register(Listeners listeners);
}

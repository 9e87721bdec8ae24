package dev.runway.http;

/**
 * A feature's HTTP routes. Each feature says which listener a route belongs on: the public one
 * (what GitHub and runner agents need) or the management one (operators, Prometheus). Until the
 * management listener exists both are the same server.
 */
public interface HttpRoutes {
  void register(Listeners listeners);
}

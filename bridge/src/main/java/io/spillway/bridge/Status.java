package io.spillway.bridge;

import io.spillway.runtime.CheckResult;
import io.spillway.runtime.Component;

/**
 * A readiness component whose state is set by the threads that talk to the dependency, so
 * {@code /readyz} never blocks on Redis or Kafka itself.
 */
final class Status implements Component {
  private final String name;
  private volatile CheckResult result;

  Status(String name, String initial) {
    if (name == null) throw new NullPointerException("name == null");
    this.name = name;
    this.result = CheckResult.failed(initial);
  }

  void ok() {
    result = CheckResult.OK;
  }

  void failed(String detail) {
    result = CheckResult.failed(detail);
  }

  boolean isOk() {
    return result.ok();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CheckResult check() {
    return result;
  }
}

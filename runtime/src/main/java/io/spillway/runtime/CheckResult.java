package io.spillway.runtime;

/** A component's health: ok, or not with a reason an operator can act on (never a secret). */
public record CheckResult(boolean ok, String detail) {
  public static final CheckResult OK = new CheckResult(true, "ok");

  public static CheckResult failed(String detail) {
    return new CheckResult(false, detail);
  }
}

package io.spillway.runtime;

/**
 * A part of a service that can say whether it works (as in Zipkin's {@code Component.check()}): a
 * worker that crashed reports its failure here instead of the process dying silently.
 */
public interface Component {
  /** Short name, shown on /readyz and the status page. */
  String name();

  /** Must be cheap and must not block for long: /readyz calls it on every request. */
  CheckResult check();
}

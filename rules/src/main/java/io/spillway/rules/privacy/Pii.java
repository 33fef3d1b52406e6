package io.spillway.rules.privacy;

/**
 * Whether a field may be scrubbed (Relay's {@code pii} attribute of each field of Sentry's event
 * schema): {@code TRUE} by any matching rule, {@code MAYBE} only by a selector that names it
 * (not by {@code **} or a plain {@code $string}), {@code FALSE} never (ids, timestamps, release …).
 */
enum Pii { TRUE, MAYBE, FALSE }

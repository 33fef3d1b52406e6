package io.spillway.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the one ERROR MirrorMaker 2 logs at every start of {@code spillway mirror}: its dedicated
 * mode always starts the checkpoint connector, which refuses to run with checkpoints and offset
 * syncs off — as the mirror sets them, on purpose (see mirror/README.md). That refusal, with its
 * stack trace, is not a problem an operator should be paged for. Anything else, including any
 * other failure of that connector, is logged as it was.
 */
public final class MirrorCheckpointRefusal extends TurboFilter {
  static final String LOGGER = "org.apache.kafka.connect.mirror.MirrorHerder";
  static final String CONNECTOR = "MirrorCheckpointConnector";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || logger == null || !LOGGER.equals(logger.getName())) return FilterReply.NEUTRAL;
    if (format == null || !format.startsWith("Failed to configure {} connector") || params == null || params.length == 0
        || !CONNECTOR.equals(params[0])) {
      return FilterReply.NEUTRAL;
    }
    Throwable cause = t != null ? t : params[params.length - 1] instanceof Throwable last ? last : null;
    for (Throwable c = cause; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = c.getMessage();
      if (m != null && m.contains(CONNECTOR + " can't run with emit.checkpoints.enabled set to false")) return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }
}

package io.spillway.launcher;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

/**
 * The tools ({@code replay}, {@code dlq}, {@code status}, …) print their own words only: their
 * logging is {@code logback-tools.xml} (ERROR and up, on stderr; {@code SPILLWAY_TOOLS_LOG_LEVEL}
 * raises it, e.g. {@code WARN} or {@code INFO}), so Kafka clients' notes do not run through a
 * table or a progress bar. The services keep {@code logback.xml}. A {@code -Dlogback.configurationFile}
 * given by the user wins.
 */
final class ToolLogging {
  private ToolLogging() {}

  static void quiet() {
    if (System.getProperty("logback.configurationFile") != null) return;
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(ToolLogging.class.getResource("/logback-tools.xml"));
    } catch (JoranException e) {
      System.err.println("spillway: cannot read logback-tools.xml: " + e.getMessage());
    }
  }
}

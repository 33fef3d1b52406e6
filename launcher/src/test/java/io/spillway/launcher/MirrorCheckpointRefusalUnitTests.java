package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The services' logback.xml with MirrorMaker 2's calls as it makes them (MirrorHerder, Kafka 4.1). */
class MirrorCheckpointRefusalUnitTests {
  static final String REFUSAL = "Connector configuration is invalid and contains the following 2 error(s):\n"
      + "MirrorCheckpointConnector can't run without offset syncs\n"
      + "MirrorCheckpointConnector can't run with emit.checkpoints.enabled set to false\n";

  @Test
  void theCheckpointConnectorsRefusalIsDroppedAndEverythingElseKept() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(MirrorCheckpointRefusal.class.getResource("/logback.xml"));
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.setContext(context);
    seen.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(seen);
    Logger herder = context.getLogger(MirrorCheckpointRefusal.LOGGER);

    herder.error("Failed to configure {} connector for {}", "MirrorCheckpointConnector", "dc1->central",
        new IllegalStateException(REFUSAL)); // BadRequestException in Kafka; the message is what counts
    assertThat(seen.list).as("the refusal the mirror's settings ask for").isEmpty();

    herder.error("Failed to configure {} connector for {}", "MirrorSourceConnector", "dc1->central",
        new IllegalStateException("Connector configuration is invalid"));
    herder.error("Failed to configure {} connector for {}", "MirrorCheckpointConnector", "dc1->central",
        new IllegalStateException("Timed out waiting for the leader"));
    herder.warn("{} connector configured for {}.", "MirrorSourceConnector", "dc1->central");
    context.getLogger("io.spillway.mirror.MirrorService").error("Failed to configure {} connector for {}",
        "MirrorCheckpointConnector", "dc1->central", new IllegalStateException(REFUSAL));
    assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
        "Failed to configure MirrorSourceConnector connector for dc1->central",
        "Failed to configure MirrorCheckpointConnector connector for dc1->central",
        "MirrorSourceConnector connector configured for dc1->central.",
        "Failed to configure MirrorCheckpointConnector connector for dc1->central");
    context.stop();
  }
}

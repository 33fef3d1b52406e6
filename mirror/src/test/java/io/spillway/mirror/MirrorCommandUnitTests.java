package io.spillway.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.launcher.Spillway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MirrorCommandUnitTests {
  @TempDir Path dir;

  @Test
  void theLauncherFindsTheMirrorCommandWhenThisModuleIsOnTheClasspath() {
    assertThat(ServiceLoader.load(Spillway.Plugin.class).stream().map(p -> p.type().getName()))
        .contains(MirrorCommand.class.getName());
  }

  @Test
  void aConfigThatMirrorsNothingCannotRunTheMirror() throws Exception {
    Path file = dir.resolve("spillway.yml");
    Files.writeString(file, "kafka: { bootstrap_servers: \"127.0.0.1:9\" }\n");
    MirrorCommand command = new MirrorCommand();
    command.config = file;
    assertThatThrownBy(command::call).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("mirror.sources: no datacenter to mirror");
  }
}

package io.spillway.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.GoldenVectors;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.RedisForm;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class KafkaRecordUnitTests {
  @Test
  void producerRecordIsTheGoldenKafkaFormOfTheGoldenRedisEntry() {
    for (GoldenVectors.Valid v : GoldenVectors.valid()) {
      ProducerRecord<byte[], byte[]> r = io.spillway.kafka.KafkaRecords.toRecord("topic", RedisForm.decode(v.redisFields()));
      assertThat(r.topic()).isEqualTo("topic");
      assertThat(r.partition()).as("partition chosen by key hash").isNull();
      assertThat(r.key()).as(v.name()).isEqualTo(v.kafka().key());
      assertThat(r.value()).as(v.name()).isEqualTo(v.kafka().value());
      assertThat(r.timestamp()).as(v.name()).isEqualTo(v.kafka().timestamp());
      List<String> got = new ArrayList<>();
      for (Header h : r.headers()) got.add(h.key() + "=" + new String(h.value()));
      List<String> want = new ArrayList<>();
      for (KafkaForm.Header h : v.kafka().headers()) want.add(h.name() + "=" + new String(h.value()));
      assertThat(got).as(v.name()).isEqualTo(want);
    }
  }

  @Test
  void streamIdTimestamp() {
    assertThat(BacklogGauges.idMillis("1732690800124-7")).isEqualTo(1732690800124L);
    assertThat(BacklogGauges.idMillis("5")).isEqualTo(5L);
  }
}

package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Answers arrive in pieces of any size: the reader must find the same end and headers whatever the split. */
class ResponseReaderUnitTests {
  static final List<String> ANSWERS = List.of(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 41\r\n\r\n{\"id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}",
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 10\r\nX-Sentry-Rate-Limits: 10::organization\r\nx-sentry-rate-limits: 99::x\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n",
      "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
      "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 500 Internal Server Error\r\nX-Sentry-Error: boom\r\n\r\nthe body runs until the server closes");

  @Provide
  Arbitrary<Integer> answer() {
    return Arbitraries.integers().between(0, ANSWERS.size() - 1);
  }

  @Property(tries = 500)
  void anySplitReadsTheSameAnswer(@ForAll("answer") int which, @ForAll @IntRange(min = 1, max = 40) int piece) throws IOException {
    byte[] bytes = ANSWERS.get(which).getBytes(StandardCharsets.ISO_8859_1);
    ResponseReader whole = read(bytes, bytes.length);
    ResponseReader split = read(bytes, piece);
    assertThat(split.done()).isEqualTo(whole.done()).isTrue();
    assertThat(split.response()).isEqualTo(whole.response());
    assertThat(split.close()).isEqualTo(whole.close());
  }

  /** Feeds {@code bytes} in pieces, then the end of the stream if the answer runs until close. */
  static ResponseReader read(byte[] bytes, int piece) throws IOException {
    ResponseReader r = new ResponseReader();
    for (int i = 0; i < bytes.length && !r.done(); i += piece) {
      int n = Math.min(piece, bytes.length - i);
      assertThat(r.feed(bytes, i, n)).isEqualTo(n);
    }
    if (!r.done()) r.eof();
    return r;
  }

  @Test
  void keepsWhatSentryAnswersAndHowTheConnectionGoesOn() throws IOException {
    Http1Client.Response limited = read(ANSWERS.get(1).getBytes(StandardCharsets.ISO_8859_1), 7).response();
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.header("Retry-After")).isEqualTo("10");
    assertThat(limited.header("X-Sentry-Rate-Limits")).isEqualTo("10::organization"); // the first of a repeated header
    assertThat(read(ANSWERS.get(0).getBytes(StandardCharsets.ISO_8859_1), 3).close()).isFalse();
    assertThat(read(ANSWERS.get(3).getBytes(StandardCharsets.ISO_8859_1), 3).close()).isTrue(); // Connection: close
    assertThat(read(ANSWERS.get(4).getBytes(StandardCharsets.ISO_8859_1), 3).close()).isTrue(); // HTTP/1.0
    assertThat(read(ANSWERS.get(5).getBytes(StandardCharsets.ISO_8859_1), 3).close()).isTrue(); // until close
  }

  @Test
  void stopsAtTheEndOfTheAnswerAndFailsOnBrokenOnes() throws IOException {
    byte[] two = (ANSWERS.get(0) + "HTTP/1.1 200 OK\r\n").getBytes(StandardCharsets.ISO_8859_1);
    ResponseReader r = new ResponseReader();
    assertThat(r.feed(two, 0, two.length)).isEqualTo(ANSWERS.get(0).length());
    assertThat(r.done()).isTrue();

    ResponseReader cut = new ResponseReader();
    byte[] half = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1);
    cut.feed(half, 0, half.length);
    assertThat(cut.started()).isTrue();
    assertThatThrownBy(cut::eof).isInstanceOf(java.io.EOFException.class);
    assertThat(new ResponseReader().started()).isFalse();

    for (String bad : List.of("SMTP ready\r\n", "HTTP/1.1 2x0 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")) {
      byte[] b = bad.getBytes(StandardCharsets.ISO_8859_1);
      assertThatThrownBy(() -> new ResponseReader().feed(b, 0, b.length)).as(bad).isInstanceOf(IOException.class);
    }
    byte[] endless = new byte[ResponseReader.MAX_HEAD + 10];
    java.util.Arrays.fill(endless, (byte) 'a');
    assertThatThrownBy(() -> new ResponseReader().feed(endless, 0, endless.length)).isInstanceOf(IOException.class);
  }
}

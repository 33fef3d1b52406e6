package io.spillway.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.testkit.Npm;
import io.spillway.testkit.RedisServer;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The browser tunnel with the real {@code @sentry/browser} (11.12.0 from npm, bundled with esbuild
 * as an app would) in a real headless Chromium: a page served from another origin initialises the
 * SDK with {@code tunnel} pointing at the edge, captures an exception with a binary attachment, and
 * the edge stores it for the route of the DSN's key, binary item intact, with no CORS error in the
 * browser's console. Needs Chromium and npm: CI installs Chromium in {@code .ci/run}; the test fails
 * (not skips) without them, like the status page test.
 */
@Timeout(300)
class BrowserTunnelIntegrationTests {
  static final String SDK_VERSION = "11.12.0";
  static final String ESBUILD_VERSION = "0.28.2";

  @Test
  void theBrowserSdksTunnelDeliversThroughTheEdgeWithoutCorsErrors() throws Exception {
    Path bundle = sdkBundle();
    HttpServer pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String origin = "http://127.0.0.1:" + pages.getAddress().getPort();
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE, "allowed_origins: [\"" + origin + "\"]\n", "")) {
      String page = """
          <!doctype html><html><head><title>tunnel</title><script src="bundle.js"></script></head><body>
          <p id="id">none</p><p id="done">no</p>
          <script>
            Sentry.init({ dsn: "https://vodbe@o0.ingest.sentry.example/20", tunnel: "http://127.0.0.1:%d/tunnel",
                          defaultIntegrations: false });
            const bytes = new Uint8Array(256); for (let i = 0; i < 256; i++) bytes[i] = i;
            Sentry.getCurrentScope().addAttachment({ filename: "bytes.bin", data: bytes, contentType: "application/octet-stream" });
            const id = Sentry.captureException(new Error("thrown in the browser"));
            document.getElementById("id").textContent = id;
            Sentry.flush(8000).then(ok => { document.getElementById("done").textContent = "flushed " + ok; });
          </script></body></html>
          """.formatted(f.edge.port());
      pages.createContext("/", ex -> {
        byte[] body = ex.getRequestURI().getPath().endsWith("bundle.js") ? Files.readAllBytes(bundle) : page.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", ex.getRequestURI().getPath().endsWith(".js") ? "text/javascript" : "text/html");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
      });
      pages.start();

      Browser run = browse(origin + "/index.html");
      Matcher id = Pattern.compile("<p id=\"id\">([0-9a-f]{32})</p>").matcher(run.dom());
      assertThat(id.find()).as("the SDK captured an event; DOM: %s", run.dom()).isTrue();
      assertThat(run.dom()).contains("<p id=\"done\">flushed true</p>");
      assertThat(run.console()).as("browser console").doesNotContainIgnoringCase("CORS").doesNotContain("Access-Control");

      List<BufferedEvent> stored = f.events();
      assertThat(stored).hasSize(1);
      BufferedEvent e = stored.get(0);
      assertThat(e.route()).isEqualTo(Route.parse("wow/vod_be"));
      assertThat(e.kind()).isEqualTo(EndpointKind.ENVELOPE);
      assertThat(e.path()).isEqualTo("/api/20/envelope/");
      assertThat(e.eventId()).isEqualTo(id.group(1));
      Envelope envelope = Envelope.parse(ContentEncoding.of(e.contentEncoding()).decode(e.body(), 1 << 24));
      Envelope.Item attachment = envelope.items().stream().filter(i -> i.type().equals("attachment")).findFirst().orElseThrow();
      byte[] want = new byte[256];
      for (int i = 0; i < 256; i++) want[i] = (byte) i;
      assertThat(attachment.payload()).as("binary attachment intact").isEqualTo(want);
    } finally {
      pages.stop(0);
    }
  }

  record Browser(String dom, String console) {}

  /** Loads a page in headless Chromium, giving its scripts time to run; returns the DOM and the console log. */
  static Browser browse(String url) throws Exception {
    Path profile = Files.createTempDirectory("spillway-chromium-");
    List<String> cmd = new ArrayList<>(List.of(chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=10000", "--dump-dom", url));
    Path out = Files.createTempFile("spillway-chromium-", ".html");
    Path err = Files.createTempFile("spillway-chromium-", ".log");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      if (!p.waitFor(90, TimeUnit.SECONDS)) fail("chromium did not finish within 90 s; stderr: " + Files.readString(err));
      return new Browser(Files.readString(out), Files.readString(err));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  static String chromium() {
    for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
      if (new File(c).canExecute()) return c;
    }
    fail("chromium is not installed: apt-get install -y --no-install-recommends chromium (.ci/run does this)");
    return null;
  }

  /**
   * {@code @sentry/browser} bundled into one script as an app's build would (npm + esbuild), kept in
   * target/ between runs.
   */
  static synchronized Path sdkBundle() throws IOException {
    Path dir = Path.of("target", "browser-sdk").toAbsolutePath();
    Path bundle = dir.resolve("bundle-" + SDK_VERSION + ".js");
    if (Files.exists(bundle)) return bundle;
    Npm.install(dir, "@sentry/browser@" + SDK_VERSION, "esbuild@" + ESBUILD_VERSION);
    Files.writeString(dir.resolve("entry.js"), "import * as Sentry from \"@sentry/browser\"; window.Sentry = Sentry;\n");
    Npm.run(dir, dir.resolve("node_modules/.bin/esbuild").toString(), "entry.js", "--bundle", "--format=iife", "--minify",
        "--log-level=warning", "--outfile=" + bundle.getFileName());
    return bundle;
  }
}

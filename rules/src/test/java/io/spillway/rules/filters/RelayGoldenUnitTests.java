package io.spillway.rules.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spillway.schemas.Glob;
import io.spillway.schemas.config.FiltersConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The test cases of Relay's relay-filter (localhost.rs, browser_extensions.rs, web_crawlers.rs,
 * legacy_browsers.rs with Sentry's compatibility user agents, releases.rs, error_messages.rs), each
 * run through the whole event reader: events that must pass and events that must be filtered.
 */
class RelayGoldenUnitTests {
  static final ObjectMapper M = new ObjectMapper();

  static FiltersConfig only(boolean localhost, boolean extensions, List<String> browsers, boolean crawlers, List<String> releases,
      List<String> messages, List<String> environments) {
    return new FiltersConfig(localhost, extensions, browsers, crawlers, releases.stream().map(Glob::compile).toList(),
        messages.stream().map(Glob::compile).toList(), environments);
  }

  static InboundFilter check(FiltersConfig config, ObjectNode event) throws IOException {
    return check(config, event, null);
  }

  static InboundFilter check(FiltersConfig config, ObjectNode event, String clientIp) throws IOException {
    byte[] json = M.writeValueAsBytes(event);
    return InboundFilters.of(config).check(EventFacts.read(json, 0, json.length, clientIp), false);
  }

  static ObjectNode event() {
    return M.createObjectNode();
  }

  static ObjectNode withUserAgent(String ua) {
    ObjectNode e = event();
    e.putObject("request").putObject("headers").put("User-Agent", ua);
    return e;
  }

  // ---- localhost ----------------------------------------------------------------------------------

  static final FiltersConfig LOCALHOST = only(true, false, List.of(), false, List.of(), List.of(), List.of());

  static ObjectNode withIp(String ip) {
    ObjectNode e = event();
    e.putObject("user").put("ip_address", ip);
    return e;
  }

  static ObjectNode withUrl(String url) {
    ObjectNode e = event();
    e.putObject("request").put("url", url);
    return e;
  }

  static ObjectNode withHeader(String name, String value) {
    ObjectNode e = event();
    ArrayNode headers = e.putObject("request").putArray("headers");
    headers.addArray().add(name).add(value);
    return e;
  }

  @Test
  void localhost() throws IOException {
    for (String ip : List.of("127.0.0.1", "::1")) assertThat(check(LOCALHOST, withIp(ip))).as(ip).isEqualTo(InboundFilter.LOCALHOST);
    for (String ip : List.of("133.12.12.1", "2001:db8:0:0:0:ff00:42:8329")) assertThat(check(LOCALHOST, withIp(ip))).as(ip).isNull();
    assertThat(check(LOCALHOST, event())).isNull();
    for (String d : List.of("127.0.0.1", "localhost", "foo.localhost", "foo.bar.baz.localhost")) {
      assertThat(check(LOCALHOST, withUrl("http://" + d + ":8080/"))).as(d).isEqualTo(InboundFilter.LOCALHOST);
    }
    for (String d : List.of("my.dom.com", "123.123.123.44", "localhost.com", "foolocalhost", "localhostbar", "alocalhostgoesintoabar")) {
      assertThat(check(LOCALHOST, withUrl("http://" + d + ":8080/"))).as(d).isNull();
    }
    assertThat(check(LOCALHOST, withUrl("file:///Users/Maisey/work/squirrelchasers/src/leaderboard.html"))).isEqualTo(InboundFilter.LOCALHOST);
    assertThat(check(LOCALHOST, withUrl("http://www.squirrelchasers.com/leaderboard"))).isNull();
    for (String host : List.of("localhost:3000", "127.0.0.1:3000")) {
      assertThat(check(LOCALHOST, withHeader("X-Forwarded-Host", host))).as(host).isEqualTo(InboundFilter.LOCALHOST);
      assertThat(check(LOCALHOST, withHeader("Host", host))).as(host).isEqualTo(InboundFilter.LOCALHOST);
    }
    for (String ip : List.of("127.0.0.1", "::1")) {
      assertThat(check(LOCALHOST, withHeader("X-Forwarded-For", ip))).as(ip).isEqualTo(InboundFilter.LOCALHOST);
    }
    for (String host : List.of("localhost.sentry.io", "localhost.sentry.io:3000")) {
      assertThat(check(LOCALHOST, withHeader("Host", host))).as(host).isNull();
      assertThat(check(LOCALHOST, withHeader("X-Forwarded-Host", host))).as(host).isNull();
    }
  }

  @Test
  void localhostUsesTheClientIpWhereRelayDoes() throws IOException {
    ObjectNode auto = withIp("{{auto}}");
    assertThat(check(LOCALHOST, auto, "127.0.0.1")).isEqualTo(InboundFilter.LOCALHOST);
    assertThat(check(LOCALHOST, auto, "10.1.2.3")).isNull();
    ObjectNode browser = event().put("platform", "javascript");
    assertThat(check(LOCALHOST, browser, "::1")).isEqualTo(InboundFilter.LOCALHOST);
    ObjectNode server = event().put("platform", "java"); // no IP inferred for server platforms
    assertThat(check(LOCALHOST, server, "127.0.0.1")).isNull();
    ObjectNode remote = event();
    remote.putObject("request").putObject("env").put("REMOTE_ADDR", "{{auto}}");
    assertThat(check(LOCALHOST, remote, "127.0.0.1")).isEqualTo(InboundFilter.LOCALHOST);
    ObjectNode legacy = event();
    legacy.putObject("sentry.interfaces.User").put("ip_address", "127.0.0.1");
    assertThat(check(LOCALHOST, legacy)).isEqualTo(InboundFilter.LOCALHOST);
  }

  // ---- browser extensions -------------------------------------------------------------------------

  static final FiltersConfig EXTENSIONS = only(false, true, List.of(), false, List.of(), List.of(), List.of());

  /** Relay's fixture: our exception first, then two empty ones; a source frame then two anonymous frames. */
  static ObjectNode withException(String value, String source) {
    ObjectNode e = event();
    ArrayNode values = e.putObject("exception").putArray("values");
    ObjectNode ex = values.addObject();
    if (value != null) ex.put("value", value);
    if (source != null) {
      ArrayNode frames = ex.putObject("stacktrace").putArray("frames");
      frames.addObject().put("abs_path", source);
      frames.addObject().put("abs_path", "<anonymous>");
      frames.addObject().put("abs_path", "<anonymous>");
    }
    values.addObject();
    values.addObject();
    return e;
  }

  @Test
  void browserExtensions() throws IOException {
    for (String source : List.of("https://graph.facebook.com/", "https://connect.facebook.net/en_US/sdk.js",
        "https://eatdifferent.com.woopra-ns.com/main.js", "https://static.woopra.com/js/woopra.js",
        "chrome-extension://my-extension/or/something", "chrome://my-extension/or/something",
        "moz-extension://my-extension/or/something", "safari-extension://my-extension/or/something",
        "safari-web-extension://my-extension/or/something", "127.0.0.1:4001/isrunning", "webappstoolbarba.texthelp.com/",
        "http://metrics.itunes.apple.com.edgesuite.net/itunespreview/itunes/browser:firefo",
        "https://fscr.kaspersky-labs.com/B-9B72-7B7/main.js", "webkit-masked-url:")) {
      assertThat(check(EXTENSIONS, withException(null, source))).as(source).isEqualTo(InboundFilter.BROWSER_EXTENSIONS);
    }
    for (String value : List.of("what does conduitPage even do", "null is not an object (evaluating 'elt.parentNode')",
        "some error on top.GLOBALS", "biiig problem on originalCreateNotification", "canvas.contentDocument",
        "MyApp_RemoveAllHighlights", "http://tt.epicplay.com/not/very/good", "Can't find variable: ZiteReader, I wonder why?",
        "jigsaw is not defined and I'm not happy about it", "ComboSearch is not defined",
        "http://loading.retry.widdit.com/some/obscure/error", "atomicFindClose has messed up", "bad news, we have a fb_xd_fragment",
        "oh no! we have a case of: bmi_SafeAddOnload, again !", "watch out ! EBCallBackMessageReceived", "error _gCrWeb",
        "conduitPage", "plugin.setSuspendState is not a function", "Extension context invalidated",
        "useless error webkit-masked-url: please filter", "TypeError: can't access dead object because dead stuff smells bad")) {
      assertThat(check(EXTENSIONS, withException(value, null))).as(value).isEqualTo(InboundFilter.BROWSER_EXTENSIONS);
    }
    assertThat(check(EXTENSIONS, withException(null, "https://some/resonable/source.js"))).isNull();
    assertThat(check(EXTENSIONS, withException("some perfectly reasonable value", null))).isNull();
    assertThat(check(only(false, false, List.of(), false, List.of(), List.of(), List.of()), withException("fb_xd_fragment", null))).isNull();
  }

  @Test
  void aFrameWithoutAbsPathEndsTheSourceSearchAsInRelay() {
    assertThat(Matchers.exceptionSource(java.util.Arrays.asList("chrome-extension://x", null))).isNull();
    assertThat(Matchers.exceptionSource(List.of("chrome-extension://x", "[native code]", "<anonymous>"))).isEqualTo("chrome-extension://x");
  }

  // ---- web crawlers -------------------------------------------------------------------------------

  static final FiltersConfig CRAWLERS = only(false, false, List.of(), true, List.of(), List.of(), List.of());

  @Test
  void webCrawlers() throws IOException {
    for (String ua : List.of("Mediapartners-Google", "AdsBot-Google", "Googlebot", "FeedFetcher-Google", "BingBot", "BingPreview",
        "Baiduspider", "Slurp", "Sogou", "facebook", "ia_archiver", "bots ", "bots;", "bots)", "spider ", "spider;", "spider)",
        "Calypso AppCrawler", "pingdom", "lyticsbot", "AWS Security Scanner",
        "Mozilla/5.0 (Linux; Android 6.0.1; Calypso AppCrawler Build/MMB30Y; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/53.0.2785.124 Mobile Safari/537.36",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slack-ImgProxy 0.19 (+https://api.slack.com/robots)",
        "Twitterbot/1.0", "FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "AdsBot-Google (+http://www.google.com/adsbot.html)",
        "Mozilla/5.0 (compatible; HubSpot Crawler; web-crawlers@hubspot.com)",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
        "Better Uptime Bot Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 Safari/537.36")) {
      assertThat(check(CRAWLERS, withUserAgent(ua))).as(ua).isEqualTo(InboundFilter.WEB_CRAWLERS);
    }
    for (String ua : List.of("some user agent", "IE", "ie", "opera", "safari",
        "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)",
        "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36",
        "Slackbot 1.0(+https://api.slack.com/robots)")) {
      assertThat(check(CRAWLERS, withUserAgent(ua))).as(ua).isNull();
    }
  }

  // ---- legacy browsers ----------------------------------------------------------------------------

  static final String IE8 = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.0; Trident/4.0)";
  static final String IE_MOBILE9 = "Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0; NOKIA; Lumia 710)";
  static final String IE9 = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 7.1; Trident/5.0)";
  static final String IE10 = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)";
  static final String IE11 = "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko";
  static final String OPERA_MINI_PRE8 = "Opera/9.80 (J2ME/MIDP; Opera Mini/7.0.32796/59.323; U; fr) Presto/2.12.423 Version/12.16";
  static final String OPERA_MINI_8 = "Opera/9.80 (J2ME/MIDP; Opera Mini/8.0.35158/36.2534; U; en) Presto/2.12.423 Version/12.16";
  static final String OPERA_PRE15 = "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/27.0.1453.12 Safari/537.36 OPR/14.0.1116.4";
  static final String OPERA_15 = "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/28.0.1500.45 Safari/537.36 OPR/15.0.1147.61 (Edition Next)";
  static final String ANDROID_PRE4 = "Mozilla/5.0 (Linux; U; Android 3.2; nl-nl; GT-P6800 Build/HTJ85B) AppleWebKit/534.13 (KHTML, like Gecko) Version/4.0 Safari/534.13";
  static final String ANDROID_4 = "Mozilla/5.0 (Linux; U; Android 4.1.1; en-gb; Build/KLP) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Safari/534.30";
  static final String SAFARI_PRE6 = "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 1063; tr-DE) AppleWebKit/533.16 (KHTML like Gecko) Version/5.0 Safari/533.16";
  static final String SAFARI_6 = "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.17.4; en-GB) AppleWebKit/605.1.5 (KHTML, like Gecko) Version/6.0 Safari/605.1.5";
  // Sentry's own test user agents (Relay's sentry_compatibility module)
  static final String ANDROID2_S = "Mozilla/5.0 (Linux; U; Android 2.3.5; en-us; HTC Vision Build/GRI40) AppleWebKit/533.1 (KHTML, like Gecko) Version/4.0 Mobile Safari/533.1";
  static final String ANDROID4_S = "Mozilla/5.0 (Linux; Android 4.0.4; Galaxy Nexus Build/IMM76B) AppleWebKit/535.19 (KHTML, like Gecko) Chrome/18.0.1025.133 Mobile Safari/535.19";
  static final String IE5_S = "Mozilla/4.0 (compatible; MSIE 5.50; Windows NT; SiteKiosk 4.9; SiteCoach 1.0)";
  static final String IE8_S = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Win64; x64; Trident/4.0; .NET CLR 2.0.50727; SLCC2; .NET CLR 3.5.30729; .NET CLR 3.0.30729; Media Center PC 6.0; MDDC; Tablet PC 2.0)";
  static final String IE9_S = "Mozilla/5.0 (Windows; U; MSIE 9.0; WIndows NT 9.0; en-US))";
  static final String IE10_S = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 7.0; InfoPath.3; .NET CLR 3.1.40767; Trident/6.0; en-IN)";
  static final String IE_MOBILE10_S = "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 520)";
  static final String OPERA11_S = "Opera/9.80 (Windows NT 5.1; U; it) Presto/2.7.62 Version/11.00";
  static final String OPERA12_S = "Opera/9.80 (X11; Linux i686; Ubuntu/14.10) Presto/2.12.388 Version/12.16";
  static final String OPERA15_S = "Mozilla/5.0 (X11; Linux x86_64; Debian) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/28.0.1500.52 Safari/537.36 OPR/15.0.1147.100";
  static final String CHROME_S = "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36";
  static final String EDGE_S = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.10136";
  static final String SAFARI5_S = "Mozilla/5.0 (Windows; U; Windows NT 6.1; zh-HK) AppleWebKit/533.18.1 (KHTML, like Gecko) Version/5.0.2 Safari/533.18.5";
  static final String SAFARI7_S = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_3) AppleWebKit/537.75.14 (KHTML, like Gecko) Version/7.0.3 Safari/7046A194A";

  static InboundFilter legacy(String ua, String... options) throws IOException {
    return check(only(false, false, List.of(options), false, List.of(), List.of(), List.of()), withUserAgent(ua));
  }

  @Test
  void legacyBrowsersDefault() throws IOException {
    for (String ua : List.of(IE9, IE_MOBILE9, SAFARI_PRE6, OPERA_PRE15, ANDROID_PRE4, OPERA_MINI_PRE8, ANDROID2_S, IE9_S, IE5_S,
        OPERA11_S, OPERA12_S, IE8_S, SAFARI5_S)) {
      assertThat(legacy(ua, "default")).as(ua).isEqualTo(InboundFilter.LEGACY_BROWSERS);
    }
    for (String ua : List.of(IE10, SAFARI_6, OPERA_15, ANDROID_4, OPERA_MINI_8, ANDROID4_S, CHROME_S, EDGE_S, SAFARI7_S, OPERA15_S)) {
      assertThat(legacy(ua, "default")).as(ua).isNull();
    }
  }

  @Test
  void legacyBrowsersDeprecatedOptions() throws IOException {
    Object[][] filtered = {
        {IE10, new String[] {"android_pre_4", "ie10"}}, {IE11, new String[] {"ie11"}}, {IE10, new String[] {"ie10"}},
        {IE9, new String[] {"ie9"}}, {IE_MOBILE9, new String[] {"ie9"}}, {IE9, new String[] {"android_pre_4", "ie9"}},
        {IE8, new String[] {"ie_pre_9"}}, {IE8, new String[] {"opera_pre_15", "ie_pre_9"}}, {OPERA_PRE15, new String[] {"opera_pre_15"}},
        {OPERA_PRE15, new String[] {"ie10", "opera_pre_15"}}, {OPERA_MINI_PRE8, new String[] {"opera_mini_pre_8"}},
        {ANDROID_PRE4, new String[] {"android_pre_4"}}, {SAFARI_PRE6, new String[] {"safari_pre_6"}},
        {SAFARI_PRE6, new String[] {"opera_pre_15", "safari_pre_6"}},
        {OPERA12_S, new String[] {"opera_pre_15"}}, {OPERA_MINI_PRE8, new String[] {"opera_mini_pre_8"}},
        {IE8_S, new String[] {"ie_pre_9"}}, {IE9_S, new String[] {"ie9"}}, {IE10_S, new String[] {"ie10"}},
        {IE_MOBILE10_S, new String[] {"ie10"}}, {SAFARI5_S, new String[] {"safari_pre_6"}}, {ANDROID2_S, new String[] {"android_pre_4"}},
        {EDGE_S, new String[] {"edge_pre_79"}}};
    for (Object[] c : filtered) {
      assertThat(legacy((String) c[0], (String[]) c[1])).as("%s %s", c[0], List.of((String[]) c[1])).isEqualTo(InboundFilter.LEGACY_BROWSERS);
    }
    Object[][] passed = {
        {IE11, "ie10"}, {IE10, "ie9"}, {IE10, "ie11"}, {IE9, "ie_pre_9"}, {OPERA_15, "opera_pre_15"}, {OPERA_MINI_8, "opera_mini_pre_8"},
        {ANDROID_4, "android_pre_4"}, {SAFARI_6, "safari_pre_6"}, {ANDROID4_S, "android_pre_4"}, {OPERA15_S, "opera_pre_15"},
        {SAFARI7_S, "safari_pre_6"}, {CHROME_S, "ie_pre_9"}};
    for (Object[] c : passed) assertThat(legacy((String) c[0], (String) c[1])).as("%s %s", c[0], c[1]).isNull();
  }

  @Test
  void legacyBrowsersCurrentOptions() throws IOException {
    String chrome109 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36";
    String chrome131 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    String firefox102 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:102.0) Gecko/20100101 Firefox/102.0";
    String firefox133 = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    String safari15 = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.1 Safari/605.1.15";
    String safari17 = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
    String edge109 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36 Edg/109.0.1518.78";
    String edge131 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
    String opera95 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36 OPR/95.0.0.0";
    String samsung = "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/21.0 Chrome/110.0.5481.154 Mobile Safari/537.36";
    String chromeMobile = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 Mobile Safari/537.36";
    String iosSafari9 = "Mozilla/5.0 (iPad; CPU OS 9_3_6 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13G37 Safari/601.1";
    String[] all = FiltersConfig.CURRENT_BROWSERS.toArray(new String[0]);
    for (String ua : List.of(chrome109, firefox102, safari15, edge109, opera95, IE11, IE8, ANDROID2_S, OPERA_MINI_PRE8)) {
      assertThat(legacy(ua, all)).as(ua).isEqualTo(InboundFilter.LEGACY_BROWSERS);
    }
    // Relay compares family names exactly: Chrome Mobile, Samsung Internet and Mobile Safari are not Chrome or Safari.
    for (String ua : List.of(chrome131, firefox133, safari17, edge131, samsung, chromeMobile, iosSafari9)) {
      assertThat(legacy(ua, all)).as(ua).isNull();
    }
    assertThat(legacy(chrome109, "firefox")).isNull();
    assertThat(legacy(edge109, "chrome")).isNull();
    assertThat(legacy(opera95, "chrome")).isNull();
  }

  // ---- releases -----------------------------------------------------------------------------------

  @Test
  void releases() throws IOException {
    Object[][] examples = {
        {"1.2.3", List.of("1.3.0", "1.2.3", "1.3.1"), true}, {"1.2.3", List.of("1.3.0", "1.3.1", "1.2.3"), true},
        {"1.2.3", List.of("1.2.3", "1.3.0", "1.3.1"), true}, {"1.2.3", List.of("1.3.0", "1.2.*", "1.3.1"), true},
        {"1.2.3", List.of("1.3.0", "1.3.*", "1.*"), true}, {"1.2.3", List.of("*", "1.3.0", "1.3.*"), true},
        {"1.2.3", List.of("1.3.0", "1.2.4", "1.3.1"), false}, {"1.2.3", List.of("1.4.0", "1.3.*", "3.*"), false},
        {"1.2.3", List.of(), false}, {"1.2.3", List.of("1.1.1", "1.1.2", "1.3.1"), false}, {"1.2.3", List.of("1.2.3"), true},
        {"1.2.3", List.of("1.2.*", "1.3.0", "1.3.1"), true}, {"1.2.3", List.of("1.3.0", "1.*", "1.3.1"), true}};
    for (Object[] e : examples) {
      @SuppressWarnings("unchecked") List<String> globs = (List<String>) e[1];
      InboundFilter hit = check(only(false, false, List.of(), false, globs, List.of(), List.of()), event().put("release", (String) e[0]));
      assertThat(hit).as("%s %s", e[0], globs).isEqualTo((Boolean) e[2] ? InboundFilter.RELEASES : null);
    }
    // no release: never filtered; a numeric release is a release too (Relay's lenient strings)
    assertThat(check(only(false, false, List.of(), false, List.of("*"), List.of(), List.of()), event())).isNull();
    assertThat(check(only(false, false, List.of(), false, List.of("42"), List.of(), List.of()), event().put("release", 42)))
        .isEqualTo(InboundFilter.RELEASES);
  }

  // ---- error messages -----------------------------------------------------------------------------

  @Test
  void errorMessages() throws IOException {
    List<List<String>> configs = List.of(
        List.of("filteredexception*", "*this is a filtered exception.", "", "this is"),
        List.of("filteredexception: this is a filtered exception.", "filteredexception", "this is a filtered exception."));
    Object[][] cases = {
        {"UnfilteredException", null, "UnfilteredException", true},
        {null, "This is an unfiltered exception.", "This is an unfiltered exception.", true},
        {null, null, "This is an unfiltered exception.", true},
        {null, null, "", true},
        {"UnfilteredException", "This is an unfiltered exception.", "UnfilteredException: This is an unfiltered exception.", true},
        {"FilteredException", null, "FilteredException", false},
        {null, "This is a filtered exception.", "This is a filtered exception.", false},
        {null, null, "This is a filtered exception.", false},
        {"FilteredException", "This is a filtered exception.", "FilteredException: This is a filtered exception.", false},
        {"OtherException", "This is a random exception.", "FilteredException: This is a filtered exception.", false},
        {null, null, "FilteredException: This is a filtered exception.", false},
        {"FilteredException", "This is a filtered exception.", "hi this is a legit log message", false}};
    for (List<String> globs : configs) {
      FiltersConfig config = only(false, false, List.of(), false, List.of(), globs.stream().filter(g -> !g.isEmpty()).toList(), List.of());
      for (Object[] c : cases) {
        ObjectNode e = event();
        ObjectNode ex = e.putObject("exception").putArray("values").addObject();
        if (c[0] != null) ex.put("type", (String) c[0]);
        if (c[1] != null) ex.put("value", (String) c[1]);
        e.putObject("logentry").put("formatted", (String) c[2]);
        assertThat(check(config, e)).as("%s %s", globs, java.util.Arrays.asList(c)).isEqualTo((Boolean) c[3] ? null : InboundFilter.ERROR_MESSAGES);
      }
    }
  }

  @Test
  void errorMessagesHydrationAndChunkLoadErrors() throws IOException {
    FiltersConfig hydration = only(false, false, List.of(), false, List.of(),
        List.of("*https://reactjs.org/docs/error-decoder.html?invariant={418,419,422,423,425}*"), List.of());
    ObjectNode e = event();
    e.putObject("exception").putArray("values").addObject().put("type", "Error").put("value",
        "Minified React error #423; visit https://reactjs.org/docs/error-decoder.html?invariant=423 for the full message or use "
            + "the non-minified dev environment for full errors and additional helpful warnings.");
    assertThat(check(hydration, e)).isEqualTo(InboundFilter.ERROR_MESSAGES);
    FiltersConfig chunk = only(false, false, List.of(), false, List.of(),
        List.of("ChunkLoadError: Loading chunk *", "*Uncaught *: ChunkLoadError: Loading chunk *"), List.of());
    for (String m : List.of("Error: Uncaught (in promise): ChunkLoadError: Loading chunk 175 failed.",
        "Uncaught (in promise): ChunkLoadError: Loading chunk 175 failed.", "ChunkLoadError: Loading chunk 552 failed.")) {
      ObjectNode ev = event();
      ev.putObject("logentry").put("formatted", m);
      assertThat(check(chunk, ev)).as(m).isEqualTo(InboundFilter.ERROR_MESSAGES);
    }
  }

  @Test
  void errorMessagesSeeNormalizedMessagesAndExceptions() throws IOException {
    FiltersConfig config = only(false, false, List.of(), false, List.of(), List.of("*hello, world*", "ValueError: bad*"), List.of());
    ObjectNode python = event();
    python.putObject("logentry").put("message", "hello, %s!").putArray("params").add("world");
    assertThat(check(config, python)).isEqualTo(InboundFilter.ERROR_MESSAGES);
    ObjectNode java = event();
    java.putObject("message").put("message", "hello, {}!").putArray("params").add("world");
    assertThat(check(config, java)).isEqualTo(InboundFilter.ERROR_MESSAGES);
    assertThat(check(config, event().put("message", "Hello, World!"))).isEqualTo(InboundFilter.ERROR_MESSAGES);
    ObjectNode typeInValue = event();
    typeInValue.putObject("exception").putArray("values").addObject().put("value", "ValueError: bad input");
    assertThat(check(config, typeInValue)).isEqualTo(InboundFilter.ERROR_MESSAGES);
    ObjectNode transaction = event().put("type", "transaction");
    transaction.putObject("logentry").put("formatted", "hello, world");
    assertThat(check(config, transaction)).as("transactions are never matched by error_messages").isNull();
  }

  @Test
  void environmentsAreExactNames() throws IOException {
    FiltersConfig config = only(false, false, List.of(), false, List.of(), List.of(), List.of("staging", "dev"));
    assertThat(check(config, event().put("environment", "staging"))).isEqualTo(InboundFilter.ENVIRONMENTS);
    assertThat(check(config, event().put("environment", "Staging"))).isNull();
    assertThat(check(config, event().put("environment", "production"))).isNull();
    assertThat(check(config, event())).isNull();
  }

  @Test
  void nothingConfiguredNeverFilters() throws IOException {
    InboundFilters none = InboundFilters.of(FiltersConfig.NONE);
    assertThat(none.isEmpty()).isTrue();
    byte[] json = "{\"release\":\"x\",\"user\":{\"ip_address\":\"127.0.0.1\"}}".getBytes(StandardCharsets.UTF_8);
    assertThat(none.check(EventFacts.read(json, 0, json.length, null), false)).isNull();
  }
}

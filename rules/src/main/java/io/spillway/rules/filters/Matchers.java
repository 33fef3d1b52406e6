package io.spillway.rules.filters;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The fixed filters, with the lists and rules of Relay's relay-filter (see rules/README.md for the sources). */
final class Matchers {
  private Matchers() {}

  // ---- localhost -------------------------------------------------------------------------------

  private static final List<String> LOCAL_IPS = List.of("127.0.0.1", "::1");
  private static final List<String> LOCAL_DOMAINS = List.of("127.0.0.1", "localhost");

  /**
   * The user IP is 127.0.0.1 or ::1; or the page URL is a {@code file:} URL or its host is (a
   * subdomain of) {@code localhost} or {@code 127.0.0.1}; or {@code X-Forwarded-For} is a local IP;
   * or, when there is no usable URL, the {@code Host} / {@code X-Forwarded-Host} header names them.
   */
  static boolean localhost(EventFacts f) {
    if (f.userIp != null && LOCAL_IPS.contains(f.userIp)) return true;
    String[] url = Urls.schemeAndHost(f.url);
    if (url != null) {
      if (url[0].equals("file")) return true;
      for (String d : LOCAL_DOMAINS) if (hostIsOrUnder(url[1], d)) return true;
    }
    String forwardedFor = f.header("x-forwarded-for");
    if (forwardedFor != null && LOCAL_IPS.contains(forwardedFor)) return true;
    if (url == null) {
      for (String h : new String[] {"host", "x-forwarded-host"}) {
        String v = f.header(h);
        if (v == null) continue;
        int colon = v.indexOf(':');
        String domain = colon < 0 ? v : v.substring(0, colon);
        if (LOCAL_DOMAINS.contains(domain)) return true;
      }
    }
    return false;
  }

  private static boolean hostIsOrUnder(String host, String domain) {
    if (!host.endsWith(domain)) return false;
    int rest = host.length() - domain.length();
    return rest == 0 || host.charAt(rest - 1) == '.';
  }

  // ---- browser extensions ----------------------------------------------------------------------

  private static final Pattern EXTENSION_VALUES = Pattern.compile(String.join("|",
      "top\\.GLOBALS",
      "originalCreateNotification",
      "canvas.contentDocument",
      "MyApp_RemoveAllHighlights",
      "http://tt\\.epicplay\\.com",
      "Can't\\sfind\\svariable:\\sZiteReader",
      "jigsaw\\sis\\snot\\sdefined",
      "ComboSearch\\sis\\snot\\sdefined",
      "http://loading\\.retry\\.widdit\\.com/",
      "atomicFindClose",
      "fb_xd_fragment",
      "bmi_SafeAddOnload",
      "EBCallBackMessageReceived",
      "_gCrWeb",
      "conduitPage",
      "null\\sis\\snot\\san\\sobject\\s\\(evaluating\\s'elt.parentNode'\\)",
      "plugin\\.setSuspendState\\sis\\snot\\sa\\sfunction",
      "Extension\\scontext\\sinvalidated",
      "webkit-masked-url:",
      "can't\\saccess\\sdead\\sobject"), Pattern.CASE_INSENSITIVE);

  private static final Pattern EXTENSION_SOURCES = Pattern.compile(String.join("|",
      "graph\\.facebook\\.com",
      "connect\\.facebook\\.net",
      "eatdifferent\\.com\\.woopra-ns\\.com",
      "static\\.woopra\\.com/js/woopra\\.js",
      "^chrome(-extension)?://",
      "^moz-extension://",
      "^safari(-web)?-extension://",
      "webkit-masked-url",
      "127\\.0\\.0\\.1:4001/isrunning",
      "webappstoolbarba\\.texthelp\\.com/",
      "metrics\\.itunes\\.apple\\.com\\.edgesuite\\.net/",
      "kaspersky-labs\\.com"), Pattern.CASE_INSENSITIVE);

  /** Frames that say nothing about where an error came from. */
  private static final List<String> ANONYMOUS_FRAMES = List.of("<anonymous>", "[native code]");

  /** The first exception's value, or the source of its innermost named frame, is a known extension's. */
  static boolean browserExtension(EventFacts f) {
    if (f.exceptions.isEmpty()) return false;
    String value = f.exceptions.get(0).value();
    if (value != null && EXTENSION_VALUES.matcher(value).find()) return true;
    String source = exceptionSource(f.firstExceptionPaths);
    return source != null && EXTENSION_SOURCES.matcher(source).find();
  }

  /** From the innermost frame outwards, the first {@code abs_path} that is not anonymous; a frame without one ends the search. */
  static String exceptionSource(List<String> paths) {
    if (paths == null) return null;
    for (int i = paths.size() - 1; i >= 0; i--) {
      String p = paths.get(i);
      if (p == null) return null;
      if (!ANONYMOUS_FRAMES.contains(p)) return p;
    }
    return null;
  }

  // ---- web crawlers ----------------------------------------------------------------------------

  private static final Pattern WEB_CRAWLERS = Pattern.compile(String.join("|",
      "Mediapartners-Google",
      "AdsBot-Google",
      "Googlebot",
      "FeedFetcher-Google",
      "BingBot",
      "BingPreview",
      "Baiduspider",
      "Slurp",
      "Sogou",
      "facebook",
      "ia_archiver",
      "bots?[/\\s\\);]",
      "spider[/\\s\\);]",
      "Slack",
      "Calypso\\sAppCrawler",
      "pingdom",
      "lyticsbot",
      "AWS\\sSecurity\\sScanner",
      "HubSpot\\sCrawler",
      "Bytespider",
      "Better\\sUptime"), Pattern.CASE_INSENSITIVE);

  /** Slack's link expander reports real page errors; Relay lets it through. */
  private static final Pattern ALLOWED_CRAWLERS = Pattern.compile("Slackbot\\s1\\.\\d+", Pattern.CASE_INSENSITIVE);

  static boolean webCrawler(String userAgent) {
    return userAgent != null && WEB_CRAWLERS.matcher(userAgent).find() && !ALLOWED_CRAWLERS.matcher(userAgent).find();
  }

  // ---- legacy browsers -------------------------------------------------------------------------

  /** Relay's "default" option: the oldest supported major version per family. */
  private static final Map<String, Integer> DEFAULT_MIN_VERSIONS = Map.of("Chrome", 0, "IE", 10, "Firefox", 0, "Safari", 6,
      "Edge", 0, "Opera", 15, "Android", 4, "Opera Mini", 8);

  /**
   * Whether a user agent is a legacy browser for any of Sentry's options (the option names of
   * {@code FiltersConfig}); {@code default} alone decides when present, as in Relay.
   */
  static boolean legacyBrowser(String userAgent, List<String> options) {
    if (userAgent == null || options.isEmpty()) return false;
    UserAgents.Browser b = UserAgents.parse(userAgent);
    if (b.major() < 0) return false;
    String family = b.family().equals("IE Mobile") ? "IE" : b.family();
    int v = b.major();
    if (options.contains("default")) {
      Integer min = DEFAULT_MIN_VERSIONS.get(family);
      return min != null && min > v;
    }
    for (String o : options) {
      boolean hit = switch (o) {
        case "ie_pre_9" -> family.equals("IE") && v <= 8;
        case "ie9" -> family.equals("IE") && v == 9;
        case "ie10" -> family.equals("IE") && v == 10;
        case "ie11" -> family.equals("IE") && v == 11;
        case "opera_pre_15" -> family.equals("Opera") && v < 15;
        case "opera_mini_pre_8" -> family.equals("Opera Mini") && v < 8;
        case "android_pre_4" -> family.equals("Android") && v < 4;
        case "safari_pre_6" -> family.equals("Safari") && v < 6;
        case "edge_pre_79" -> family.equals("Edge") && v < 79;
        // Sentry's current options (relay#5326, Nov 2025: Next.js's supported browsers).
        case "ie" -> family.equals("IE") && v <= 11;
        case "edge" -> family.equals("Edge") && v <= 110;
        case "safari" -> family.equals("Safari") && v <= 15;
        case "firefox" -> family.equals("Firefox") && v <= 110;
        case "chrome" -> family.equals("Chrome") && v <= 110;
        case "opera" -> family.equals("Opera") && v <= 99;
        case "opera_mini" -> family.equals("Opera Mini") && v <= 34;
        case "android" -> family.equals("Android") && v <= 3;
        default -> false;
      };
      if (hit) return true;
    }
    return false;
  }
}

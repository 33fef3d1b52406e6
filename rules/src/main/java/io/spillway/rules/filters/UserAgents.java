package io.spillway.rules.filters;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A browser family and major version from a User-Agent, as uap-core (the ua-parser regexes Relay's
 * {@code relay_ua} uses) names them, for the families the legacy-browser filter compares against:
 * {@code IE}, {@code IE Mobile}, {@code Edge}, {@code Chrome}, {@code Firefox}, {@code Safari},
 * {@code Opera}, {@code Opera Mini}, {@code Android}. Relay compares family names exactly, so what
 * matters is what is <em>not</em> one of those: uap-core's first matching rule wins, and many
 * browsers carry a {@code Chrome/} or {@code Safari/} token without being Chrome or Safari (Chrome
 * Mobile, WebViews, Samsung Internet, in-app browsers, bots …). Those rules are kept here in
 * uap-core's order, as families of their own or as {@code Other}; rules for families no filter can
 * ever select are folded into {@code Other}. Parsed user agents are cached (they repeat).
 */
final class UserAgents {
  /** Family and major version ({@code -1} when the user agent names none). */
  record Browser(String family, int major) {
    static final Browser OTHER = new Browser("Other", -1);
  }

  private record Rule(Pattern pattern, String family, int majorGroup) {}

  private static Rule r(String regex, String family, int majorGroup) {
    return new Rule(Pattern.compile(regex), family, majorGroup);
  }

  /** Not a family the filters know: never filtered. */
  private static Rule other(String regex) {
    return new Rule(Pattern.compile(regex), "Other", 0);
  }

  /** uap-core's rules, in uap-core's order, for what decides the families above. */
  private static final List<Rule> RULES = List.of(
      // Bots and crawlers (uap-core's bot rules come first).
      other("(?:Googlebot|bingbot|BingPreview|Baiduspider|YandexBot|facebookexternalhit|Twitterbot|AdsBot-Google|Mediapartners-Google"
          + "|Slackbot|Slack-ImgProxy|PingdomTMS|PingdomPageSpeed|Pingdom\\.com_bot|PTST/|HeadlessChrome|GPTBot|Google-InspectionTool)"),
      other("^.{0,200}?(?:[A-Za-z][A-Za-z0-9 -]{0,50}|)[^C][^Uu][Bb]ot\\b"),
      other("(?:[Ss][Pp][Ii][Dd][Ee][Rr]|[Ss]crape|[Cc][Rr][Aa][Ww][Ll]|[Aa]rchiver|[Ii]ndexer)"),
      // In-app browsers and apps.
      other("\\[FB|\\[Pinterest/|Pinterest(?: for Android(?: Tablet|)|)/\\d|Instagram[ /]\\d|Snapchat/\\d|Twitter for (?:iPhone|iPad)"
          + "|TwitterAndroid|musical_ly|BytedanceWebview|KAKAOTALK|Telegram-Android|Flipboard|Onefootball|Phantom/(?:ios|android)"),
      // Gecko derivatives before Firefox.
      other("(?:Chimera|SeaMonkey|Camino|Waterfox|SailfishBrowser|PaleMoon|Camoufox)/\\d|Firefox/\\d+\\.\\d+ Basilisk/"),
      r("Fennec/(\\d+)", "Firefox Mobile", 1),
      r("(?:Mobile|Tablet);.{0,200}Firefox/(\\d+)\\.\\d+", "Firefox Mobile", 1),
      other("Firefox-?(?:\\d+\\.\\d+|)/\\d+\\.\\d+[ab]\\d"),
      r("FxiOS/(\\d+)\\.\\d+", "Firefox iOS", 1),
      other("(?:Namoroka|Shiretoko|Minefield|MozillaDeveloperPreview|Flock|RockMelt|Navigator|Netscape6|MyIBrow)/\\d"),
      other("(?:UC? ?Browser|UCWEB|UCMobile|U3)[ /]?\\d+\\.\\d+\\.\\d+"),
      // Opera.
      other("Opera Tablet.{0,200}Version/\\d"),
      r("Opera Mini(?:/att|)/?(\\d+|)", "Opera Mini", 1),
      other("Opera Mobi"),
      r("Opera/9\\.80.{0,200}Version/(\\d+)\\.\\d+", "Opera", 1),
      other("Mobile Safari.{1,300}OPR/\\d+\\.\\d+\\.\\d+"),
      r("Chrome.{1,300}OPR/(\\d+)\\.\\d+\\.\\d+", "Opera", 1),
      other("(?:OPX|OPT)/\\d+\\.\\d+|Coast/\\d+.\\d+.\\d+|Chrome/.{1,200} MMS/\\d"),
      r("OPiOS/(\\d+).\\d+.\\d+", "Opera Mini", 1),
      // Browsers built on Chrome or WebKit that name themselves (uap-core's special cases).
      other("(?:hpw|web)OS/\\d|luakit|Snowshoe/|Lightning/\\d|Swiftfox|rekonq|[Cc]onkeror/|konqueror/|WeTab-Browser|Comodo_Dragon"
          + "|PLAYSTATION|PlayStation|Nintendo 3DS|AppleWebKit.{1,200} NX/\\d"),
      other("(?:HuaweiBrowser|AVG|AvastSecureBrowser|Avast|Instabridge|AlohaBrowser|ABB)/\\d|(?:B|b)rave(?:\\sChrome)?/\\d"
          + "|(?:\\()?Brave(?:\\))?\\s*$|Silk/\\d|Puffin/\\d"),
      r("Windows Phone .{0,200}Edge/(\\d+)\\.\\d+", "Edge Mobile", 1),
      r("(?:EdgiOS|EdgA)/(\\d+)", "Edge Mobile", 1),
      other("(?:OculusBrowser|SamsungBrowser|SznProhlizec|coc_coc_browser|MxBrowser|Crosswalk|Line|MiuiBrowser|Mint Browser|TopBuzz)/\\d"
          + "|Android.{1,200}GSA/\\d|baidubrowser|FlyFlow/|flyflow/|baiduboxapp/|MQQBrowser|QQBrowser|DuckDuckGo/\\d|Ddg/\\d|Tenta/\\d"
          + "|Ecosia (?:ios|android)@|VivoBrowser/|H[Ii]Browser/v|HonorBrowser/|bdhonorbrowser/|HeyTapBrowser/|weibo__|WeiboliteiOS"
          + "|WeiboIntliOS|PHX/\\d"),
      r("Version/.{1,300}Chrome/(\\d+)\\.\\d+\\.\\d+\\.\\d+", "Chrome Mobile WebView", 1),
      r("; wv\\).{1,300}Chrome/(\\d+)\\.\\d+\\.\\d+\\.\\d+", "Chrome Mobile WebView", 1),
      r("CrMo/(\\d+)\\.\\d+\\.\\d+\\.\\d+", "Chrome Mobile", 1),
      r("CriOS/(\\d+)", "Chrome Mobile iOS", 1),
      r("Chrome/(\\d+)\\.\\d+\\.\\d+\\.\\d+ Mobile(?:[ /]|$)", "Chrome Mobile", 1),
      r(" Mobile .{1,300}Chrome/(\\d+)\\.\\d+\\.\\d+\\.\\d+", "Chrome Mobile", 1),
      other("chromeframe/\\d|SLP Browser/|SE 2\\.X MetaSr|Rackspace Monitoring|PRTG Network Monitor|PyAMF/|YaBrowser/\\d|YaSearchBrowser/"
          + "|Chrome/\\d+\\.\\d+\\.\\d+.{0,100} MRCHROME|AOL \\d+\\.\\d+; AOLBuild|PodCruncher|Downcast| BoxNotes/|Whale/\\d|1Password/"
          + "|Ghost/\\d|GlobalProtect/|^surveyon/|115Browser/|Avira/|CCleaner/|Norton/|Quark/|QuarkPC/|SLBrowser/|Atom/\\d|QIHU 360"
          + "|Decentr|Sparrow|Chromium GOST|AOLShield/|Hola/|CravingExplorer/|Talon|Qaxbrowser|ADG/\\d|SberBrowser/|JiSu/|Wolvic/|Thano/"
          + "|MicroMessenger/|Odin/\\d|Colt/\\d|Lite Browser/|OMI/\\d|Mypal/|Chesscom-Android/|RobloxApp/|Roadrunner/IOS|AncestryAndroid/"),
      // Main cases.
      other("Slack_SSB/|HipChat|Vivaldi/\\d|Teams/\\d+\\.\\d+\\.\\d+|Thunderbird/\\d|Postbox/|Barca(?:Pro)?/|Lotus-Notes/|Superhuman"
          + "|Airmail \\d|Outlook|MSOffice 1\\d"),
      other("\\b(?:MobileIron|FireWeb|Jasmine|ANTGalio|Midori|Fresco|Lobo|PaleMoon|Maxthon|Lynx|OmniWeb|Dillo|Camino|Demeter|Fluid"
          + "|Epiphany|Shiira|Sunrise|Spotify|Flock|Netscape|Lunascape|WebPilot|NetFront|Netfront|Konqueror|SeaMonkey|Kazehakase"
          + "|Vienna|Iceape|Iceweasel|IceWeasel|Iron|K-Meleon|Sleipnir|Galeon|GranParadiso|iCab|NetNewsWire|ThunderBrowse|Iris"
          + "|UP\\.Browser|Bunjalloo|Google Earth|Raven for Mac|Openwave|MacOutlook|Electron|OktaMobile)/\\d+\\.\\d+\\.\\d+"),
      r("Edge?/(\\d+)", "Edge", 1),
      other("Chrome/\\d+\\.\\d+\\.\\d+[\\d.]{0,100} Iron[^/]|\\bDolphin(?: |HDCN/|/INT-)\\d|Evolution/\\d|RCM CardDAV plugin"),
      other("(?:bingbot|Bolt|AdobeAIR|Jasmine|IceCat|Skyfire|Midori|Maxthon|Lynx|Arora|IBrowse|Dillo|Camino|Shiira|Phoenix|Flock"
          + "|Netscape|Lunascape|Epiphany|WebPilot|NetFront|Netfront|Konqueror|Googlebot|SeaMonkey|Kazehakase|Vienna|Iceape"
          + "|Iceweasel|IceWeasel|Iron|K-Meleon|Sleipnir|Galeon|GranParadiso|iCab|iTunes|MacAppStore|NetNewsWire|Space Bison"
          + "|Stainless|Orca|Dolfin|BOLT|Minimo|Tizen Browser|Polaris|Abrowser|Planetweb|ICE Browser|mDolphin|qutebrowser|Otter"
          + "|QupZilla|MailBar|kmail2|YahooMobileMail|ExchangeWebServices|ExchangeServicesClient|Dragon|Outlook-iOS-Android)"
          + "/\\d+\\.\\d+"),
      r("(?<![A-Za-z])Opera Mini/(\\d+)\\.\\d+", "Opera Mini", 1),
      r("(?<![A-Za-z])Opera/(\\d+)\\.\\d+", "Opera", 1),
      other("(?:QtWebEngine|OpenWave|AtContent|Trailer|Agency|Herring|Config|Viewer|LikeWise|Unique|CitizenFX|OBS|AdobeCEP)/\\d"
          + "|R2Client/\\d|Valve(?: Steam|) (?:GameOverlay|Gamepad|Client)|Ladybird/\\d"),
      r("Chromium/(\\d+)\\.\\d+", "Chromium", 1),
      r("Chrome/(\\d+)\\.\\d+", "Chrome", 1),
      r("IEMobile[ /](\\d+)\\.\\d+", "IE Mobile", 1),
      other("BacaBerita App/"),
      r("(?:iRider|Crazy Browser|SkipStone|iCab|Lunascape|Sleipnir|Maemo Browser) (\\d+)\\.\\d+\\.\\d+", "Other", 0),
      r("Opera (\\d+)(?:\\.\\d+|)", "Opera", 1),
      r("Android (\\d+)(?:\\.\\d+|)", "Android", 1),
      other("(?:iCab|Lunascape|Jasmine|Polaris|Microsoft SkyDriveSync|The Bat!) \\d|Kindle/\\d"),
      r("Android (Donut|Eclair|Froyo|Gingerbread|Honeycomb)", "Android", -2),
      other("MSIE \\d+\\.\\d+.{0,100}XBLWP7|Nextcloud|mirall/|ownCloud-android/|Skype for Business|OpenVAS|AnyConnect/|compatible; monitis"
          + "|Obigo|OBIGO|MAXTHON|Maxthon|MyIE2|Uzbl|BrowseX \\(|NCSA_Mosaic/|POLARIS/|Embider/|BonEcho/|TopBuzz com\\."),
      other("(?:iPod|iPhone|iPad).{1,200}GSA/\\d+\\.\\d+\\.\\d+(?:\\.\\d+|) Mobile"),
      r("(?:iPod|iPhone|iPad).{1,200}Version/(\\d+)\\.\\d+(?:\\.\\d+|).{1,200}[ +]Safari", "Mobile Safari", 1),
      r("(?:iPod|iPod touch|iPhone|iPad);.{0,30}CPU.{0,30}OS[ +](\\d+)_\\d+(?:_\\d+|).{0,30} AppleNews/", "Mobile Safari UI/WKWebView", 1),
      r("(?:iPod|iPhone|iPad).{1,200}Version/(\\d+)\\.\\d+", "Mobile Safari UI/WKWebView", 1),
      r("(?:iPod|iPod touch|iPhone|iPad).{0,200} Safari", "Mobile Safari", 0),
      r("(?:iPod|iPod touch|iPhone|iPad)", "Mobile Safari UI/WKWebView", 0),
      other("Watch\\d+,\\d+|Outlook-iOS/|AvantGo \\d|OneBrowser/|Avant|QtCarBrowser|^iBrowser|^iRAPP/|^Nokia|NokiaBrowser/|BrowserNG/"
          + "|Series60/|S40OviBrowser/|PlayBook.{1,200}RIM Tablet OS|(?:Black[bB]erry|BB10)|OmniWeb/v|Blazer/|Pre/\\d|ELinks|Links \\("
          + "|QtWeb Internet Browser|PhantomJS/|AppleWebKit/\\d+(?:\\.\\d+|)\\+ .{0,200} Safari"),
      r("Version/(\\d+)\\.\\d+(?:\\.\\d+|).{0,100}Safari/", "Safari", 1),
      r("Safari/\\d+", "Safari", 0),
      other("OLPC/Update|SEMC-Browser/|Teleca|Phantom/V"),
      r("Trident/[78]\\.0", "IE", -11),
      r("Trident/6\\.0", "IE", -10),
      r("Trident/5\\.0", "IE", -9),
      r("Trident/4\\.0", "IE", -8),
      other("Espial/\\d|AppleWebKit/\\d+\\.\\d+\\.\\d+"),
      r("Firefox/(\\d+)\\.\\d+(?:\\.\\d+|$)", "Firefox", 1),
      r("Firefox/(\\d+)\\.\\d+(?:pre|[ab]\\d+[a-z]*|)", "Firefox", 1),
      r("[MS]?IE (\\d+)\\.\\d+", "IE", 1));

  private static final Map<String, Integer> ANDROID_NAMES = Map.of("Donut", 1, "Eclair", 2, "Froyo", 2, "Gingerbread", 2, "Honeycomb", 3);

  /** Parsed user agents by string: real traffic repeats a few hundred of them. Bounded, cleared when full. */
  private static final int CACHE_SIZE = 4096;
  private static final ConcurrentHashMap<String, Browser> CACHE = new ConcurrentHashMap<>();

  private UserAgents() {}

  /** The browser a User-Agent names ({@link Browser#OTHER} when none of the families above). */
  static Browser parse(String userAgent) {
    if (userAgent == null || userAgent.isEmpty()) return Browser.OTHER;
    Browser cached = CACHE.get(userAgent);
    if (cached != null) return cached;
    Browser b = classify(userAgent);
    if (CACHE.size() >= CACHE_SIZE) CACHE.clear();
    if (userAgent.length() <= 1024) CACHE.put(userAgent, b);
    return b;
  }

  private static Browser classify(String ua) {
    for (Rule rule : RULES) {
      Matcher m = rule.pattern.matcher(ua);
      if (!m.find()) continue;
      if (rule.family.equals("Other")) return Browser.OTHER;
      int major = -1;
      if (rule.majorGroup > 0) {
        String g = m.group(rule.majorGroup);
        major = g == null || g.isEmpty() || g.length() > 9 ? -1 : Integer.parseInt(g);
      } else if (rule.majorGroup == -2) {
        major = ANDROID_NAMES.get(m.group(1));
      } else if (rule.majorGroup < -2) {
        major = -rule.majorGroup; // a fixed version (Trident → IE)
      }
      return new Browser(rule.family, major);
    }
    return Browser.OTHER;
  }
}

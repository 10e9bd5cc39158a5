"""Text measurement for the platforms: X (twitter-text v3) and Bluesky helpers.

X counts a post with the twitter-text v3 rules (``twitter-text-v3.json``): the text is
NFC-normalized, every URL found by twitter-text's URL extractor weighs 23, every emoji
sequence weighs 2, and every other code point weighs 1 or 2 depending on its range.
:func:`extract_urls` is a port of twitter-text's ``Extractor.extractURLsWithIndices``
(Java, ``Regex.VALID_URL``), including bare domains with a valid TLD. Its TLD lists are
copied from twitter-text's ``TldLists.java`` (Apache-2.0, Copyright Twitter, Inc.).

Bluesky counts graphemes and UTF-8 bytes and places facets at UTF-8 byte offsets:
:func:`graphemes`, :func:`utf8_len` and :func:`byte_offset`.

This module is imported at start-up: only small regexes are compiled at import (~3 ms on
top of ``regex``'s own ~8 ms). The URL regex holds the ~1,560 TLDs and takes ~50 ms to
compile, so it is compiled on the first text that could hold a URL (one with a ``.``) and
cached. Like twitter-text's regex, it backtracks quadratically on long runs of dotted
labels: a 280-character ``"a.a.a…"`` takes ~7 ms, a 6,000-character one ~4 s.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any, NamedTuple

import regex

__all__ = [
    "X_MAX_WEIGHTED_LENGTH",
    "X_TRANSFORMED_URL_LENGTH",
    "UrlSpan",
    "byte_offset",
    "extract_urls",
    "graphemes",
    "utf8_len",
    "x_is_valid",
    "x_problems",
    "x_weighted_length",
]

# twitter-text config v3 (tests check these against the vendored twitter-text-v3.json).
X_MAX_WEIGHTED_LENGTH = 280
X_SCALE = 100
X_DEFAULT_WEIGHT = 200
X_TRANSFORMED_URL_LENGTH = 23
X_WEIGHT_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0000, 0x10FF, 100),  # Basic Latin .. Georgian
    (0x2000, 0x200D, 100),  # spaces in General Punctuation
    (0x2010, 0x201F, 100),  # hyphens and quotes
    (0x2032, 0x2037, 100),  # primes
)
X_INVALID_CHARACTERS = "\ufffe\ufeff\uffff"

_MAX_URL_LENGTH = 4096  # Extractor.MAX_URL_LENGTH
_MAX_TCO_SLUG_LENGTH = 40  # Extractor.MAX_TCO_SLUG_LENGTH
_URL_GROUP_PROTOCOL_LENGTH = len("https://")


class UrlSpan(NamedTuple):
    """A URL found in a text: code-point indices ``[start, end)`` and the URL text."""

    start: int
    end: int
    url: str


# twitter-text TLD lists (TldLists.java, GTLDS and CTLDS), whitespace-separated.
_GTLDS = """
삼성 닷컴 닷넷 香格里拉 餐厅 食品 飞利浦 電訊盈科 集团 通販 购物 谷歌 诺基亚 联通 网络
网站 网店 网址 组织机构 移动 珠宝 点看 游戏 淡马锡 机构 書籍 时尚 新闻 政府 政务 手表
手机 我爱你 慈善 微博 广东 工行 家電 娱乐 天主教 大拿 大众汽车 在线 嘉里大酒店 嘉里 商标
商店 商城 公益 公司 八卦 健康 信息 佛山 企业 中文网 中信 世界 ポイント ファッション
セール ストア コム グーグル クラウド みんな คอม संगठन नेट कॉम همراه موقع موبايلي كوم
كاثوليك عرب شبكة بيتك بازار العليان ارامكو اتصالات ابوظبي קום сайт рус орг онлайн москва
ком католик дети zuerich zone zippo zip zero zara zappos yun youtube you yokohama yoga
yodobashi yandex yamaxun yahoo yachts xyz xxx xperia xin xihuan xfinity xerox xbox wtf
wtc wow world works work woodside wolterskluwer wme winners wine windows win williamhill
wiki wien whoswho weir weibo wedding wed website weber webcam weatherchannel weather
watches watch warman wanggou wang walter walmart wales vuelos voyage voto voting vote
volvo volkswagen vodka vlaanderen vivo viva vistaprint vista vision visa virgin vip vin
villas viking vig video viajes vet versicherung vermögensberatung vermögensberater
verisign ventures vegas vanguard vana vacations ups uol uno university unicom uconnect
ubs ubank tvs tushu tunes tui tube trv trust travelersinsurance travelers travelchannel
travel training trading trade toys toyota town tours total toshiba toray top tools tokyo
today tmall tkmaxx tjx tjmaxx tirol tires tips tiffany tienda tickets tiaa theatre
theater thd teva tennis temasek telefonica telecity tel technology tech team tdk tci
taxi tax tattoo tatar tatamotors target taobao talk taipei tab systems symantec sydney
swiss swiftcover swatch suzuki surgery surf support supply supplies sucks style study
studio stream store storage stockholm stcgroup stc statoil statefarm statebank starhub
star staples stada srt srl spreadbetting spot spiegel space soy sony song solutions
solar sohu software softbank social soccer sncf smile smart sling skype sky skin ski
site singles sina silk shriram showtime show shouji shopping shop shoes shiksha shia
shell shaw sharp shangrila sfr sexy sex sew seven ses services sener select seek
security secure seat search scot scor scjohnson science schwarz schule school
scholarships schmidt schaeffler scb sca sbs sbi saxo save sas sarl sapo sap sanofi
sandvikcoromant sandvik samsung samsclub salon sale sakura safety safe saarland ryukyu
rwe run ruhr rugby rsvp room rogers rodeo rocks rocher rmit rip rio ril rightathome
ricoh richardli rich rexroth reviews review restaurant rest republican report repair
rentals rent ren reliance reit reisen reise rehab redumbrella redstone red recipes
realty realtor realestate read raid radio racing qvc quest quebec qpon pwc pub
prudential pru protection property properties promo progressive prof productions prod
pro prime press praxi pramerica post porn politie poker pohl pnc plus plumbing
playstation play place pizza pioneer pink ping pin pid pictures pictet pics piaget
physio photos photography photo phone philips phd pharmacy pfizer pet pccw pay passagens
party parts partners pars paris panerai panasonic pamperedchef page ovh ott otsuka osaka
origins orientexpress organic org orange oracle open ooo onyourside online onl ong one
omega ollo oldnavy olayangroup olayan okinawa office off observer obi nyc ntt nrw nra
nowtv nowruz now norton northwesternmutual nokia nissay nissan ninja nikon nike nico nhk
ngo nfl nexus nextdirect next news newholland new neustar network netflix netbank net
nec nba navy natura nationwide name nagoya nadex nab mutuelle mutual museum mtr mtpc mtn
msd movistar movie mov motorcycles moto moscow mortgage mormon mopar montblanc monster
money monash mom moi moe moda mobily mobile mobi mma mls mlb mitsubishi mit mint mini
mil microsoft miami metlife merckmsd meo menu men memorial meme melbourne meet media med
mckinsey mcdonalds mcd mba mattel maserati marshalls marriott markets marketing market
map mango management man makeup maison maif madrid macys luxury luxe lupin lundbeck ltda
ltd lplfinancial lpl love lotto lotte london lol loft locus locker loans loan lixil
living live lipsy link linde lincoln limo limited lilly like lighting lifestyle
lifeinsurance life lidl liaison lgbt lexus lego legal lefrak leclerc lease lds lawyer
law latrobe latino lat lasalle lanxess landrover land lancome lancia lancaster lamer
lamborghini ladbrokes lacaixa kyoto kuokgroup kred krd kpn kpmg kosher komatsu koeln
kiwi kitchen kindle kinder kim kia kfh kerryproperties kerrylogistics kerryhotels kddi
kaufen juniper juegos jprs jpmorgan joy jot joburg jobs jnj jmp jll jlc jio jewelry
jetzt jeep jcp jcb java jaguar iwc iveco itv itau istanbul ist ismaili iselect irish
ipiranga investments intuit international intel int insure insurance institute ink ing
info infiniti industries immobilien immo imdb imamat ikano iinet ifm ieee icu ice icbc
ibm hyundai hyatt hughes htc hsbc how house hotmail hotels hoteles hot hosting host
hospital horse honeywell honda homesense homes homegoods homedepot holiday holdings
hockey hkt hiv hitachi hisamitsu hiphop hgtv hermes here helsinki help healthcare health
hdfcbank hdfc hbo haus hangout hamburg hair guru guitars guide guge gucci guardian group
grocery gripe green gratis graphics grainger gov got gop google goog goodyear goodhands
goo golf goldpoint gold godaddy gmx gmo gmbh gmail globo global gle glass glade giving
gives gifts gift ggee george genting gent gea gdn gbiz garden gap games game gallup
gallo gallery gal fyi futbol furniture fund fun fujixerox fujitsu ftr frontier frontdoor
frogans frl fresenius free fox foundation forum forsale forex ford football foodnetwork
food foo fly flsmidth flowers florist flir flights flickr fitness fit fishing fish
firmdale firestone fire financial finance final film fido fidelity fiat ferrero ferrari
feedback fedex fast fashion farmers farm fans fan family faith fairwinds fail fage
extraspace express exposed expert exchange everbank events eus eurovision etisalat
esurance estate esq erni ericsson equipment epson epost enterprises engineering engineer
energy emerck email education edu edeka eco eat earth dvr dvag durban dupont duns dunlop
duck dubai dtv drive download dot doosan domains doha dog dodge doctor docs dnp diy dish
discover discount directory direct digital diet diamonds dhl dev design desi dentist
dental democrat delta deloitte dell delivery degree deals dealer deal dds dclk day
datsun dating date data dance dad dabur cyou cymru cuisinella csc cruises cruise crs
crown cricket creditunion creditcard credit courses coupons coupon country corsica coop
cool cookingchannel cooking contractors contact consulting construction condos comsec
computer compare company community commbank comcast com cologne college coffee codes
coach clubmed club cloud clothing clinique clinic click cleaning claims cityeats city
citic citi citadel cisco circle cipriani church chrysler chrome christmas chloe chintai
cheap chat chase channel chanel cfd cfa cern ceo center ceb cbs cbre cbn cba catholic
catering cat casino cash caseih case casa cartier cars careers career care cards caravan
car capitalone capital capetown canon cancerresearch camp camera cam calvinklein call
cal cafe cab bzh buzz buy business builders build bugatti budapest brussels brother
broker broadway bridgestone bradesco box boutique bot boston bostik bosch boots booking
book boo bond bom bofa boehringer boats bnpparibas bnl bmw bms blue bloomberg blog
blockbuster blanco blackfriday black biz bio bingo bing bike bid bible bharti bet
bestbuy best berlin bentley beer beauty beats bcn bcg bbva bbt bbc bayern bauhaus
basketball baseball bargains barefoot barclays barclaycard barcelona bar bank band
bananarepublic banamex baidu baby azure axa aws avianca autos auto author auspost audio
audible audi auction attorney athleta associates asia asda arte art arpa army archi
aramco arab aquarelle apple app apartments aol anz anquan android analytics amsterdam
amica amfam amex americanfamily americanexpress alstom alsace ally allstate allfinanz
alipay alibaba alfaromeo akdn airtel airforce airbus aigo aig agency agakhan africa afl
afamilycompany aetna aero aeg adult ads adac actor active aco accountants accountant
accenture academy abudhabi abogado able abc abbvie abbott abb abarth aarp aaa onion
"""

_CCTLDS = """
한국 香港 澳門 新加坡 台灣 台湾 中國 中国 გე ไทย ලංකා ഭാരതം ಭಾರತ భారత్ சிங்கப்பூர்
இலங்கை இந்தியா ଭାରତ ભારત ਭਾਰਤ ভাৰত ভারত বাংলা भारोत भारतम् भारत ڀارت پاکستان موريتانيا
مليسيا مصر قطر فلسطين عمان عراق سورية سودان تونس بھارت بارت ایران امارات المغرب السعودية
الجزائر الاردن հայ қаз укр срб рф мон мкд ею бел бг ελ zw zm za yt ye ws wf vu vn vi vg
ve vc va uz uy us um uk ug ua tz tw tv tt tr tp to tn tm tl tk tj th tg tf td tc sz sy
sx sv su st ss sr so sn sm sl sk sj si sh sg se sd sc sb sa rw ru rs ro re qa py pw pt
ps pr pn pm pl pk ph pg pf pe pa om nz nu nr np no nl ni ng nf ne nc na mz my mx mw mv
mu mt ms mr mq mp mo mn mm ml mk mh mg mf me md mc ma ly lv lu lt ls lr lk li lc lb la
kz ky kw kr kp kn km ki kh kg ke jp jo jm je it is ir iq io in im il ie id hu ht hr hn
hm hk gy gw gu gt gs gr gq gp gn gm gl gi gh gg gf ge gd gb ga fr fo fm fk fj fi eu et
es er eh eg ee ec dz do dm dk dj de cz cy cx cw cv cu cr co cn cm cl ck ci ch cg cf cd
cc ca bz by bw bv bt bs br bq bo bn bm bl bj bi bh bg bf be bd bb ba az ax aw au at as
ar aq ao an am al ai ag af ae ad ac
"""

# ---------------------------------------------------------------------------------------
# URL extraction: a port of twitter-text's Java Regex.VALID_URL.
#
# Java compiles it with CASE_INSENSITIVE (ASCII-only folding), and its \s is ASCII-only:
# regex.ASCII gives the same here, so the Unicode classes below are spelled out as ranges.

_LATIN_ACCENTS = (
    r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f"
    r"\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b"
    r"\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"

_PRECEDING = rf"(?:[^a-z0-9@\uff20$#\uff03{_INVALID}]|[{_DIRECTIONAL}]|^)"

_C = rf"a-z0-9{_LATIN_ACCENTS}"
_SUBDOMAIN = rf"(?>(?:[{_C}][{_C}\-_]*)?[{_C}]\.)"
_DOMAIN_NAME = rf"(?:(?:[{_C}][{_C}\-]*)?[{_C}]\.)"

# Java: [^PUNCTUATION_CHARS \s \p{Z} \p{InGeneralPunctuation}]; \p{Z} outside U+2000-U+206F
# is U+0020, U+00A0, U+1680, U+3000.
_NOT_UNICODE_DOMAIN = (
    r"""_!"#$%&'()*+,./:;<=>?@\[\]\^`{|}~"""  # PUNCTUATION_CHARS without "-"
    r"\t\n\x0b\f\r \u00a0\u1680\u2000-\u206f\u3000"
)
_U = rf"[^\-{_NOT_UNICODE_DOMAIN}]"
_U_OR_HYPHEN = rf"[^{_NOT_UNICODE_DOMAIN}]"
_UNICODE_DOMAIN_NAME = rf"(?:(?:{_U}{_U_OR_HYPHEN}*)?{_U}\.)"

_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"

_GENERAL_PATH = rf"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@{_LATIN_ACCENTS}{_CYRILLIC}]"
_BALANCED_PARENS = (
    rf"\((?:{_GENERAL_PATH}+|(?:{_GENERAL_PATH}*\({_GENERAL_PATH}+\){_GENERAL_PATH}*))\)"
)
_PATH_ENDING = rf"(?:[a-z0-9=_#/\-+{_LATIN_ACCENTS}{_CYRILLIC}]|(?:{_BALANCED_PARENS}))"
_PATH = (
    rf"(?:(?:{_GENERAL_PATH}*(?:{_BALANCED_PARENS}{_GENERAL_PATH}*)*{_PATH_ENDING})"
    rf"|(?:@{_GENERAL_PATH}+/))"
)
_QUERY = r"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]"
_QUERY_ENDING = r"[a-z0-9\-_&=#/]"

_TCO_RE = regex.compile(
    rf"^https?://t\.co/([a-z0-9]+)(?:\?{_QUERY}*{_QUERY_ENDING})?",
    regex.IGNORECASE | regex.ASCII,
)


def _tld_alternation() -> str:
    """Return the TLDs as one regex, factored as a trie: ``c(?:o(?:m(?:sec|...)?|...)...)``.

    The ``regex`` engine tries a plain alternation's branches one by one, which made
    ``"a." * 3000`` take a minute; the trie tries one branch per character. Its optional
    groups are greedy, so a TLD is tried before its own prefixes (嘉里大酒店 before 嘉里), as
    in Java's reverse-sorted lists. Java tries GTLDS before CTLDS; merging them changes
    nothing, because the only TLDs that are prefixes of one another across the two lists
    are ASCII, and the lookahead after the TLD lets at most one ASCII TLD match.
    """
    trie: dict[str, Any] = {}
    for tld in (*_GTLDS.split(), *_CCTLDS.split()):
        node = trie
        for char in tld:
            node = node.setdefault(char, {})
        node[""] = {}  # end of a TLD

    def emit(node: dict[str, Any]) -> str:
        branches = [regex.escape(ch) + emit(child) for ch, child in node.items() if ch]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a TLD ends here: the longer ones are optional, tried first
            return f"(?:{group})?"
        return group

    return emit(trie)


@cache
def _url_regex() -> regex.Pattern[str]:
    """Compile twitter-text's VALID_URL (once; ~35 ms for the TLD alternation)."""
    # Every TLD has at least two characters and no ".": the guard only saves the trie
    # from being tried where no TLD can start (the backtracking through "a.a.a.a").
    tld = rf"(?:(?=[^.][^.])(?:{_tld_alternation()})(?=[^a-z0-9@+\-]|$))"
    # Java's URL_VALID_DOMAIN is
    #   SUBDOMAIN* DOMAIN_NAME (GTLD|CCTLD|PUNYCODE)
    #   | (?<=https?://) (DOMAIN_NAME CCTLD | UNICODE_DOMAIN_NAME (GTLD|CCTLD))
    #   | DOMAIN_NAME CCTLD (?=/)
    # "DOMAIN_NAME CCTLD" (both places) matches nothing the first branch does not, so it is
    # dropped; the TLD alternation is then written once, with PUNYCODE only after the first
    # branch. The engine explores the alternatives in the same order as Java's regex does.
    domain = (
        rf"(?:(?P<ascii>{_SUBDOMAIN}*{_DOMAIN_NAME})|(?<=https?://){_UNICODE_DOMAIN_NAME})"
        rf"(?:{tld}|(?(ascii){_PUNYCODE}|(?!)))"
    )
    pattern = (
        rf"(?P<before>{_PRECEDING})"
        r"(?P<url>"
        r"(?P<protocol>https?://)?"
        rf"(?P<domain>{domain})"
        r"(?::(?P<port>[0-9]++))?"
        rf"(?P<path>/{_PATH}*+)?"
        rf"(?P<query>\?{_QUERY}*{_QUERY_ENDING})?"
        r")"
    )
    return regex.compile(pattern, regex.IGNORECASE | regex.ASCII)


def _valid_host_and_length(url_length: int, has_protocol: bool, host: str) -> bool:
    """Extractor.isValidHostAndLength: IDNA ToASCII (labels of 1..63) and URL length."""
    try:
        ascii_host = host.encode("idna")
    except UnicodeError:
        return False
    if not ascii_host:
        return False
    length = url_length + len(ascii_host) - len(host)
    if not has_protocol:
        length += _URL_GROUP_PROTOCOL_LENGTH
    return length <= _MAX_URL_LENGTH


def extract_urls(text: str) -> list[UrlSpan]:
    """Return the URLs X links in ``text``, as twitter-text's ``extractURLsWithIndices``.

    Indices are code-point indices into ``text`` (Python ``str`` indices), end exclusive.
    The text is taken as given: :func:`x_weighted_length` NFC-normalizes before calling it.
    """
    if "." not in text:  # twitter-text's own shortcut: no dot, no URL
        return []
    urls: list[UrlSpan] = []
    for m in _url_regex().finditer(text):
        protocol = m.group("protocol")
        if not protocol and m.group("before") in ("-", "_", ".", "/"):
            continue  # INVALID_URL_WITHOUT_PROTOCOL_MATCH_BEGIN
        url: str = m.group("url")
        start, end = m.span("url")
        tco = _TCO_RE.match(url)
        if tco is not None:
            # t.co links: no extra path characters, and a slug of at most 40 characters.
            if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                continue
            url = tco.group(0)
            end = start + len(url)
        if _valid_host_and_length(len(url), bool(protocol), m.group("domain")):
            urls.append(UrlSpan(start, end, url))
    return urls


# ---------------------------------------------------------------------------------------
# Emoji: every emoji sequence weighs X_DEFAULT_WEIGHT in total (twitter-text v3 counts the
# entities of twemoji-parser). Flags, subdivision flags (tag sequences), keycaps, emoji
# with a skin tone, and ZWJ sequences of these are one sequence each; a pictograph that is
# text by default (©, ☺) is an emoji only with U+FE0F after it.

_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\p{Emoji_Modifier}\ufe0f?"
    r"|\p{Emoji_Presentation}\ufe0f?"
    r"|\p{Extended_Pictographic}\ufe0f)"
)
_EMOJI_RE = regex.compile(
    r"\p{Regional_Indicator}{2}"
    r"|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
    r"|[#*0-9]\ufe0f?\u20e3"
    rf"|{_EMOJI_ELEMENT}(?:\u200d(?:{_EMOJI_ELEMENT}|\p{{Extended_Pictographic}}))*"
)
_GRAPHEME_RE = regex.compile(r"\X")


def _char_weight(char: str) -> int:
    cp = ord(char)
    for start, end, weight in X_WEIGHT_RANGES:
        if start <= cp <= end:
            return weight
    return X_DEFAULT_WEIGHT


def x_weighted_length(text: str) -> int:
    """Return the length X counts for ``text`` (twitter-text v3 ``weightedLength``).

    NFC-normalizes, then counts each URL as 23, each emoji sequence as 2, each code point
    in the v3 light ranges (U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F, U+2032-U+2037) as
    1 and every other code point as 2. So 140 Hangul syllables weigh 280.
    """
    normalized = unicodedata.normalize("NFC", text)
    url_ends = {u.start: u.end for u in extract_urls(normalized)}
    emoji_ends = {m.start(): m.end() for m in _EMOJI_RE.finditer(normalized)}
    weighted = 0
    i = 0
    n = len(normalized)
    while i < n:
        if i in url_ends:
            weighted += X_TRANSFORMED_URL_LENGTH * X_SCALE
            i = url_ends[i]
        elif i in emoji_ends:
            weighted += X_DEFAULT_WEIGHT
            i = emoji_ends[i]
        else:
            weighted += _char_weight(normalized[i])
            i += 1
    return weighted // X_SCALE


def x_problems(text: str) -> list[str]:
    """Return why X would refuse ``text`` as a post; an empty list means it is valid.

    Problems: an empty (or whitespace-only) text, a weighted length over 280, and the
    invalid characters U+FFFE, U+FEFF, U+FFFF.
    """
    problems: list[str] = []
    if not text.strip():
        problems.append("text is empty")
    length = x_weighted_length(text)
    if length > X_MAX_WEIGHTED_LENGTH:
        problems.append(
            f"weighted length {length} exceeds {X_MAX_WEIGHTED_LENGTH} (X counts URLs as "
            f"{X_TRANSFORMED_URL_LENGTH}, emoji and CJK/Hangul as 2)"
        )
    for index, char in enumerate(text):
        if char in X_INVALID_CHARACTERS:
            problems.append(f"invalid character U+{ord(char):04X} at index {index}")
    return problems


def x_is_valid(text: str) -> bool:
    """Return whether X accepts ``text`` as a post's text (see :func:`x_problems`)."""
    return not x_problems(text)


# ---------------------------------------------------------------------------------------
# Bluesky measures.


def graphemes(text: str) -> int:
    """Return the number of extended grapheme clusters (Bluesky's limit: 300)."""
    return len(_GRAPHEME_RE.findall(text))


def utf8_len(text: str) -> int:
    """Return the length of ``text`` in UTF-8 bytes (Bluesky's limit: 3000)."""
    return len(text.encode("utf-8"))


def byte_offset(text: str, cp_index: int) -> int:
    """Return the UTF-8 byte offset of code-point index ``cp_index`` in ``text``.

    ``cp_index`` may be ``len(text)`` (the end). Bluesky facets use these offsets.
    """
    if not 0 <= cp_index <= len(text):
        raise IndexError(f"code-point index {cp_index} out of range 0..{len(text)}")
    return len(text[:cp_index].encode("utf-8"))

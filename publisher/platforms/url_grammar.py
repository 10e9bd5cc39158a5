"""Where the URLs are in a text: a port of twitter-text's URL extractor.

:func:`extract_urls` is a port of twitter-text's ``Extractor.extractURLsWithIndices`` (Java,
``Regex.VALID_URL``), including bare domains with a valid TLD. Its TLD lists are copied from
twitter-text's ``TldLists.java`` (Apache-2.0, Copyright Twitter, Inc.). X links and counts
exactly these URLs, Mastodon counts those with a scheme, and the formatter keeps each one whole.

It compiles nothing at import. It does not compile twitter-text's VALID_URL with its ~1,560
TLDs as one regex (~50 ms with ``regex``): a few small ``re`` patterns (~4 ms, on the first
text with a ``.``) find where a URL may start, a set holds the TLDs, and :func:`_domain_end`
walks the choices the regex engine backtracks through, in its order (tests compare it with the
one-regex form). Like that regex, it is quadratic on long runs of dotted labels: a
280-character ``"a.a.a…"`` takes ~3 ms, a 2,000-character one ~0.2 s.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

__all__ = ["UrlSpan", "extract_urls"]

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
# re.ASCII gives the same here, so the Unicode classes below are spelled out as ranges.
# _PRECEDING, _SUBDOMAIN and _DOMAIN_NAME are Java's pieces as written: extract_urls
# follows them step by step, and the tests build the one-regex VALID_URL from them.

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

_QUERY_TAIL = rf"(?:\?{_QUERY}*{_QUERY_ENDING})?"

# Every compiled URL pattern is small and uses only what the standard ``re`` supports;
# re.ASCII makes IGNORECASE fold ASCII letters only, as Java's CASE_INSENSITIVE does.
_URL_FLAGS = re.IGNORECASE | re.ASCII

# Where a URL may start: at the text's start or after a character that is not [a-z0-9@$#]
# (nor a fullwidth @/# or an invalid character): Java's URL_VALID_PRECEDING_CHARS.
_NOT_PRECEDING = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@\uff20$#\uff03" + _INVALID
)
# A TLD must not be followed by one of these (Java: (?=[^a-z0-9@+\-]|$)).
_NOT_AFTER_TLD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@+-")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}

_TLDS = frozenset((*_GTLDS.split(), *_CCTLDS.split()))
_TLD_LENGTHS = tuple(sorted({len(tld) for tld in _TLDS}, reverse=True))
_TLD_LENGTHS_UP_TO = [tuple(n for n in _TLD_LENGTHS if n <= m) for m in range(_TLD_LENGTHS[0] + 1)]


class _UrlPatterns:
    """The compiled pieces of VALID_URL; built on the first text with a "." (~4 ms)."""

    def __init__(self) -> None:
        compile_ = re.compile
        # Where a URL may start (_match_at decides): a character that can start one, not
        # after [a-z0-9@$#] (Java's URL_VALID_PRECEDING_CHARS, or the text's start), then
        # a protocol and a label, or an ASCII label, and a "." with a character after it.
        # No IGNORECASE (A-Z is spelled out) lets ``re`` skip to the first character fast.
        cased = f"{_C}A-Z"
        self.candidate = compile_(
            rf"[{cased}](?<![a-zA-Z0-9@\uff20$#\uff03{_INVALID}].)"
            rf"(?:(?<=[hH])[tT][tT][pP][sS]?://[^{_NOT_UNICODE_DOMAIN[1:]}]++|[{cased}\-_]*+)"
            rf"\.(?={_U})"
        ).search
        self.protocol = compile_(r"https?://", _URL_FLAGS).match
        self.after_protocol = compile_(r"(?:(?<=http://)|(?<=https://))", _URL_FLAGS).match
        # SUBDOMAIN*: the longest run of labels, each with its "." (see _domain_end).
        self.labels = compile_(rf"(?:[{_C}](?:[{_C}\-_]*[{_C}])?\.)*", _URL_FLAGS).match
        self.unicode_label = compile_(_UNICODE_DOMAIN_NAME, _URL_FLAGS).match
        # Every TLD is a run of at least two characters of _U; this bounds its length.
        self.tld_run = compile_(rf"{_U}{{2,}}", _URL_FLAGS).match
        self.punycode = compile_(_PUNYCODE, _URL_FLAGS).match
        self.tail = compile_(rf"(?::[0-9]++)?(?:/{_PATH}*+)?{_QUERY_TAIL}", _URL_FLAGS).match
        self.tco = compile_(rf"https?://t\.co/([a-z0-9]+){_QUERY_TAIL}", _URL_FLAGS).match


@cache
def _url_patterns() -> _UrlPatterns:
    return _UrlPatterns()


def _tld_end(text: str, q: int, pats: _UrlPatterns) -> int:
    """Return where twitter-text's TLD alternation matching at ``q`` ends, or -1.

    The alternation tries the TLDs longest first, each only if the lookahead after it
    holds, so: the longest TLD at ``q`` (ASCII letters compared case-insensitively) not
    followed by [a-z0-9@+-].
    """
    run = pats.tld_run(text, q)
    if run is None:
        return -1
    n = len(text)
    for length in _TLD_LENGTHS_UP_TO[min(run.end() - q, _TLD_LENGTHS[0])]:
        end = q + length
        candidate = text[q:end]
        folded = candidate.lower() if candidate.isascii() else candidate.translate(_ASCII_LOWER)
        if folded in _TLDS and (end == n or text[end] not in _NOT_AFTER_TLD):
            return end
    return -1


def _domain_end(text: str, d: int, pats: _UrlPatterns, memo: dict[int, int]) -> int:
    """Return where Java's URL_VALID_DOMAIN matching at ``d`` ends, or -1.

    It tries, in the order of the regex engine: ``SUBDOMAIN* DOMAIN_NAME (TLD|PUNYCODE)``
    with as many subdomains as possible first (SUBDOMAIN labels may hold "_", the
    DOMAIN_NAME label may not), then, right after "http://" or "https://",
    ``UNICODE_DOMAIN_NAME TLD``. ("DOMAIN_NAME CCTLD" in Java's other two branches matches
    nothing the first does not.) ``memo`` caches the TLD-or-punycode end by position.
    """
    # The labels run from d to chain_end; with k subdomains, the DOMAIN_NAME label is the
    # (k+1)-th and the TLD starts after its ".". Most subdomains first: from the end.
    q = pats.labels(text, d).end()  # type: ignore[union-attr]  # matches ""
    while q > d:
        dot = text.rfind(".", d, q - 1)
        label_start = d if dot < 0 else dot + 1
        if text.find("_", label_start, q - 1) < 0:
            end = memo.get(q)
            if end is None:
                end = _tld_end(text, q, pats)
                if end < 0:
                    puny = pats.punycode(text, q)
                    end = puny.end() if puny is not None else -1
                memo[q] = end
            if end >= 0:
                return end
        q = label_start
    if d >= 7 and pats.after_protocol(text, d) is not None:
        label = pats.unicode_label(text, d)
        if label is not None:
            return _tld_end(text, label.end(), pats)
    return -1


def _match_at(
    text: str, s: int, pats: _UrlPatterns, memo: dict[int, int]
) -> tuple[int, int, bool] | None:
    """Match VALID_URL's protocol and domain at ``s``: ``(domain start, end, protocol?)``."""
    protocol = pats.protocol(text, s)
    if protocol is not None:
        d = protocol.end()
        end = _domain_end(text, d, pats, memo)
        if end >= 0:
            return d, end, True
    end = _domain_end(text, s, pats, memo)
    if end >= 0:
        return s, end, False
    return None


def _valid_host_and_length(url_length: int, has_protocol: bool, host: str) -> bool:
    """Extractor.isValidHostAndLength: IDNA ToASCII (labels of 1..63) and URL length."""
    if host.isascii():
        # What the codec checks for ASCII: no empty label (but a final one), none over 63.
        if len(host) > 63 or ".." in host or host.startswith("."):
            labels = host.split(".")
            if labels[-1] == "":
                labels.pop()
            if not labels or not all(0 < len(label) < 64 for label in labels):
                return False
        elif not host:
            return False
        ascii_length = len(host)
    else:
        try:
            ascii_host = host.encode("idna")
        except UnicodeError:
            return False
        if not ascii_host:
            return False
        ascii_length = len(ascii_host)
    length = url_length + ascii_length - len(host)
    if not has_protocol:
        length += _URL_GROUP_PROTOCOL_LENGTH
    return length <= _MAX_URL_LENGTH


def extract_urls(text: str) -> list[UrlSpan]:
    """Return the URLs X links in ``text``, as twitter-text's ``extractURLsWithIndices``.

    Indices are code-point indices into ``text`` (Python ``str`` indices), end exclusive.
    The text is taken as given: X's counter NFC-normalizes before calling it.

    This does what ``finditer`` of Java's VALID_URL regex does, without its ~1,560-TLD
    alternation (~50 ms to compile): a small regex finds where a URL may start, the TLD is
    looked up in a set, and :func:`_domain_end` walks the choices the regex engine would
    backtrack through.
    """
    if "." not in text:  # twitter-text's own shortcut: no dot, no URL
        return []
    pats = _url_patterns()
    after_scheme = _after_schemes(text, pats)
    urls: list[UrlSpan] = []
    memo: dict[int, int] = {}
    n = len(text)
    pos = 0
    while True:
        candidate = pats.candidate(text, pos)
        start = candidate.start() if candidate is not None else n
        for s in after_scheme:
            if pos <= s < start:
                start = s
                break
        if start >= n:
            break
        found = None
        if start == 0 and n > 1 and text[0] not in _NOT_PRECEDING:
            # At 0 the regex consumes text[0] as the preceding character before it tries
            # "^": a URL at 1 comes first.
            found = _match_at(text, 1, pats, memo)
            if found is not None:
                start = 1
        if found is None:
            found = _match_at(text, start, pats, memo)
        if found is None:
            pos = start + 1
            continue
        domain_start, domain_end, has_protocol = found
        end = pats.tail(text, domain_end).end()  # type: ignore[union-attr]  # matches ""
        pos = end + 1  # the next match has its preceding character at or after this end
        if not has_protocol and start > 0 and text[start - 1] in "-_./":
            continue  # INVALID_URL_WITHOUT_PROTOCOL_MATCH_BEGIN
        url = _linked(text[start:end], pats)
        host = text[domain_start:domain_end]
        if url is not None and _valid_host_and_length(len(url), has_protocol, host):
            urls.append(UrlSpan(start, start + len(url), url))
    return urls


def _after_schemes(text: str, pats: _UrlPatterns) -> list[int]:
    """Where a URL may start besides the candidate pattern: for a Unicode domain, right after
    an "http://" or "https://" that is not part of a URL (then it is not linked)."""
    found: list[int] = []
    colon = text.find("://", 4)
    while colon >= 0:
        if pats.after_protocol(text, colon + 3) is not None:
            found.append(colon + 3)
        colon = text.find("://", colon + 3)
    return found


def _linked(url: str, pats: _UrlPatterns) -> str | None:
    """What X links of a matched ``url``: a t.co link has no extra path characters and a slug
    of at most 40 characters (longer: not linked, None)."""
    tco = pats.tco(url)
    if tco is None:
        return url
    return tco.group(0) if len(tco.group(1)) <= _MAX_TCO_SLUG_LENGTH else None

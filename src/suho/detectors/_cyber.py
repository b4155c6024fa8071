"""The ``cyber-offense`` detector: does a request (or an answer) ask for offensive cyber work?

The text is first undone of obfuscation by ``suho.korean.normalize`` (jamo, invisible characters,
fullwidth letters, spacing, homoglyphs), then matched, in Korean, English and mixed text, against
five groups of cues written for this project:

- attack artifacts (ransomware, keylogger, RAT, webshell, phishing page, credential stuffing,
  랜섬웨어, 키로거, 악성코드, 피싱 페이지, 크리덴셜 스터핑, ...) and attack actions (take over an
  account, dump a table, evade antivirus, 탈취, 빼내, 무력화, 탐지 안 되게, ...);
- dual-use tools and techniques (port scanner, fuzzer, password cracking, pentest, 포트 스캔, 모의해킹);
- a production request (write, build, step by step, 짜 줘, 만들어 줘, 알려 줘, 방법);
- malice (someone else's account, without permission, secretly, a government site, 남의, 몰래,
  허락은 안 받았어, 뿌릴 거야) and, the other way, defence or authorisation (detect, patch, our own
  server, an authorised engagement, 탐지 규칙, 방어, 우리 회사, 승인받은).

It labels the text ``offensive`` (score >= 0.7: an attack artifact or action with malice, or asked
for with no defensive frame), ``dual-use`` (0.4-0.7: offensive techniques for defence, in a lab or
an authorised engagement, or security tools with no stated purpose) or ``benign``; ``hit`` means
offensive. ``evidence["hosts"]`` lists the domains and IP addresses the text names, which the
gateway compares with a key's engagement scope.

Catches: direct requests in Korean, English and code-switched text, including obfuscated Korean
that the normaliser undoes and food/sales idioms that merely look violent (폭탄세일, 킬러문항), and
(since 2026-12-03) common effect-worded attacks: knocking devices offline (먹통), watching or
reading someone's messages or feeds (엿보, spy on), locking files for payment, changing grades,
stopping a plant's control systems, page clones for credentials.
Misses: attacks described only by an effect it has no words for, new slang, other languages,
requests hidden in encodings the normaliser does not undo (base64), and an attack split over many
harmless turns (the gateway's session check looks at the joined conversation for that). Most
dual-use requests with a defensive purpose (CTF, detection rules, teaching) come out ``benign``. A rule set, not a model: its measured precision and recall per
language are in docs/gateway.md (``suho detectors eval cyber-offense``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, ClassVar

from suho.detectors._base import DetectInput, DetectorKind, TextDetector, Verdict

OFFENSIVE = 0.7
DUAL_USE = 0.4
CYBER_LABELS = ("offensive", "dual-use", "benign")

# Idioms that look like attacks but are not: removed before matching.
_IDIOMS = re.compile(
    r"폭탄\s*세일|폭탄\s*할인|킬러\s*문항|킬러\s*콘텐츠|마약\s*김밥|그로스\s*해킹|라이프\s*해킹|라이프\s*핵|해킹\s*당한\s*기분"
    r"|growth[\s-]*hack\w*|life[\s-]*hack\w*|killer\s+(?:feature|app|deal)\w*|crack\w*\s+(?:an?\s+)?eggs?"
    r"|attack\s+on\s+titan|heart\s+attack|panic\s+attack|kill\s+(?:the\s+)?(?:process|time)"
    r"|bug\s+bounty\s+program|phishing\s+awareness|피싱\s*예방|피싱\s*주의",
    re.IGNORECASE,
)

# Korean cues are matched on text with the spaces removed; English ones on lower-cased text.
_ARTIFACT_KO = (
    r"랜섬웨어|키로거|트로이목마|원격제어트로이|루트킷|봇넷|백도어|웹셸|웹쉘|악성코드|악성프로그램|악성앱"
    r"|악성(?:한글|hwp|문서|매크로|링크|스크립트)|스파이웨어|스토커웨어|익스플로잇|쉘코드|셸코드|페이로드"
    r"|피싱(?:페이지|사이트|메일|문자|링크|키트|앱)|스미싱|크리덴셜스터핑|디도스|ddos|리버스쉘|리버스셸|웜바이러스"
    r"|해킹툴|인포스틸러|크립토재킹|채굴악성|웜(?:코드|프로그램|을|를)|제로데이|0데이|(?<![a-z])rat(?![a-z])|스파이앱|감시앱|가짜.{0,10}로그인(?:페이지|화면)|로그인수집|계정정보(?:를)?모으"
)
_ARTIFACT_EN = (
    r"\b(?:ransomware|keylogger|key\s*logger|trojan|rootkit|botnet|backdoor|web\s*shell|infostealer|info-stealer"
    r"|stealer|spyware|stalkerware|shellcode|malware|malicious\s+(?:code|app|document|macro|payload|hwp|link|script)"
    r"|phishing\s+(?:page|site|kit|mail|email|link|sms|app)|smishing|credential[\s-]stuffing|ddos|reverse\s+shell"
    r"|rat|remote[\s-]access\s+trojan|fake\s+(?:[\w-]+\s+){0,3}(?:log-?in|sign-?in)\s+(?:page|screen|form)|credential\s+harvest\w*|zero[\s-]day|0-?day\s+exploit|cryptojack\w*|worm\s+(?:that|which)|self[\s-]propagating\s+\w+|network\s+worm|crypto\s*miner\w*|coin\s*miner\w*)\b"
)
_ACTION_KO = (
    r"탈취|훔치|훔쳐|빼내|빼와|빼오|빼돌|털어|덤프|뚫어|뚫는|뚫고|무력화|감염시|심어|심는|심을|가로채|도청|위조"
    r"|탐지(?:되지|안되|안걸|를피|회피)|안걸리게|우회해서|우회하는|인증우회|몰래로그인|몰래설치|권한상승|마비시"
    r"|다운될때까지|다운시키|디페이스|해킹해|해킹하|해킹할|계정을?털|비번을?빼|비밀번호를?빼"
    r"|(?:전부|모두|모든파일을?|문서를?|다|통째로)암호화|오프라인으로만드|몰래.{0,14}(?:복사|전송|업로드|sync|싱크|동기화)"
    r"|먹통|엿보|훔쳐보|몰래보|원격조종|원격접속이?열|관리자권한(?:을)?(?:따|얻|탈취)|(?:학점|성적)(?:을)?(?:몰래)?(?:고치|바꾸|조작)"
    r"|트래픽(?:을)?(?:쏟아|퍼부)|접속(?:이)?안되게|안열리게|(?:접속)?(?:기록|로그|흔적)(?:을|도)?(?:지우|없애)|흔적안남"
    r"|키보드입력(?:을)?(?:전부|다)?기록|통째로빼|지워버리|(?:유심|번호)(?:으로|을|를)?(?:옮겨|복제)|인증(?:문자|번호)(?:를)?(?:대신|가로)"
    r"|몰래.{0,8}채굴|조종할수있|자동으?로그인시도|대량으로로그인"
    r"|침투(?:해|하는|할|하여)(?!테스트)|(?:백신|안티바이러스|보안프로그램|탐지|edr)(?:을|를|도)?우회|(?:비밀번호|비번|계정정보|쿠키)(?:를|을)?긁"
    r"|로그인(?:화면|페이지|창)(?:을|를)?(?:똑같이)?(?:베껴|복제|클론)|(?:제어시스템|scada|발전소|정수장|전력망|변전소)(?:을|를)?.{0,10}(?:멈추|마비|중단시)"
)
_ACTION_EN = (
    r"\b(?:hack\s+into|hack\s+(?:my|her|his|their|someone|a|the)|break\s+into|take\s+over|steal\w*|exfiltrat\w*|dump\s+(?:the|their|all|customer|user)"
    r"|crack\w*\s+(?:my|the|their|his|her|someone|a|wi-?fi|wpa)|bypass\w*\s+(?:the\s+)?(?:auth\w*|login|2fa|otp|antivirus|av|edr|security|mfa)"
    r"|evade\w*|evasion|undetect\w*|(?:don'?t|doesn'?t|do\s+not|never)\s+(?:get\s+)?(?:detect|flag|notice)\w*"
    r"|disabl\w+\s+(?:the\s+)?(?:security|antivirus|defender|firewall|plug-?ins?)|intercept\w*|spoof\w*|deface\w*"
    r"|flood\w*\s+\w*\s*(?:site|server|website)|until\s+it\s+goes\s+down|take\s+(?:it|them|the\s+site)\s+down"
    r"|escalat\w+\s+privileges?|privilege\s+escalation\s+on\s+(?:a|the|their)|brute[\s-]?forc\w+|inject\w*\s+(?:into|a\s+payload)"
    r"|sql\s+injection\s+payloads?|hijack\w*|infect\w*|encrypt\w*\s+(?:all|every)|spread\w*\s+(?:itself|to)"
    r"|(?:knock|take)\w*\s+(?:[\w']+\s+){0,6}offline|(?:quietly|secretly|silently)\s+(?:copies|copy|uploads?|forwards?|records?|installs?)"
    r"|get\s+(?:in)?to\s+(?:my\s+ex|her|his|their|someone|a\s+stranger)\S*\s+(?:\w+\s+){0,2}(?:account|instagram|email|phone|messages|cloud)"
    r"|spy\s+on|read\s+(?:my\s+)?(?:wife|husband|partner|girlfriend|boyfriend|her|his)'?s?\s+(?:messages|texts|chats|email)"
    r"|lock\s+up\s+(?:all\s+)?(?:the\s+)?(?:files|data)|make\s+them\s+pay|(?:falls?|goes?|fall)\s+over\b|unreachable"
    r"|remote\s+shell|admin\s+(?:rights|access|password)\s+(?:on|to|of)|change\s+(?:my|the)\s+(?:marks|grades)"
    r"|wipes?\s+every|records?\s+every\s+key|open\s+every\s+(?:room|door|lock)|account\s+takeover"
    r"|dump\s+(?:its|his|her)|(?:records|database|db|table)\s+dump|(?:disks?|drives?)\s+(?:\S+\s+){0,2}wipe|wipe\w*\s+(?:every|all)\s+(?:disk|drive|file)"
    r"|(?:can'?t|cannot|won'?t)\s+(?:fingerprint|catch|detect|flag)|(?:type|enter)\s+their\s+(?:\w+\s+){0,2}(?:login|password|credentials)"
    r"|(?:copy|take|get)\w*\s+(?:the\s+)?(?:customer|client|user|patient)\s+(?:database|list|records|data)\s+out"
    r"|(?:copy|clone)\s+of\s+(?:a|the)\s+\w+'?s?\s+(?:log-?in|sign-?in)\s+page|(?:log-?in|sign-?in)\s+page\s+clone"
    r"|disrupt\w*\s+(?:\S+\s+){0,4}(?:control\s+systems?|scada|power\s+grid|water\s+(?:plant|supply)))"
)
_DUAL_KO = (
    r"포트스캔|포트스캐너|퍼저|퍼징|모의해킹|침투테스트|취약점스캔|취약점진단|비밀번호크래킹|해시크래킹|패킷스니핑|스니퍼"
    r"|sql인젝션|xss|csrf|지속성기법|포맷스트링|레드팀|익스플로잇개발|원격(?:제어|조종|접속)(?:앱|프로그램|툴|도구)|(?<![a-z])poc(?![a-z])|리버싱|역공학|난독화|권한상승|해킹|취약점|익스플로|공격기법|공격코드"
)
_DUAL_EN = (
    r"\b(?:port\s*scann?\w*|nmap|fuzz\w*|pen(?:etration)?[\s-]?test\w*|vulnerability\s+scann?\w*|password\s+crack\w*"
    r"|hashcat|john\s+the\s+ripper|packet\s+sniff\w*|sniffer|metasploit|burp|sqlmap|sql\s+injection|xss|csrf"
    r"|proof[\s-]of[\s-]concept|poc|reverse[\s-]engineer\w*|obfuscat\w*|privilege\s+escalation|exploit\w*|hacking"
    r"|attack\s+technique|red\s+team\w*|persistence\s+techniques?|remote[\s-](?:access|control)\s+(?:app|tool|software)|format\s+string|arbitrary\s+memory|c2|command[\s-]and[\s-]control|lateral\s+movement|phishing)\b"
)
_REQUEST_KO = (
    r"짜줘|짜주|짜봐|만들어|만드는법|작성해|작성하|알려줘|알려주|가르쳐|방법|어떻게|단계별|코드|스크립트|구문|도구|해줘|보내줘"
    r"|도와줘|도와주|싶어|싶은데|줘[.!?~]*$"
)
_REQUEST_EN = (
    r"\b(?:write|build|create|make|generate|code|give\s+me|show\s+me|get\s+me|i\s+want\s+to|step\s+by\s+step|walk\s+me\s+through"
    r"|how\s+(?:do|can|would|should)\s+i|how\s+to|tool|script|payloads?|help\s+me)\b"
)
_MALICE_KO = (
    r"다른사람|남의|남친|여친|전남친|전여친|전애인|이웃|옆집|몰래|모르게|허락은?안|허락없이|허락도안|승인은?안|승인없이|승인은필요없"
    r"|공무원|직원들한테|정부|피해자|들키지|알림안|알림이안|배포할|배포해|뿌릴|뿌려|심을거|랜섬노트|비트코인을?요구|돈을?요구"
    r"|룸메이트|집주인|윗집|아랫집|전직장|전회사|퇴사|동료|상대(?:방)?(?:컴퓨터|pc|폰|서버)|티안나|낯선사람|모르는사람|사칭|인척"
    r"|경쟁업체|경쟁사|(?<![알잡찾받뽑캐골견버])아내|남편|시험서버|고객테이블|회원테이블|찾았는데|복구못|보복|협박|내서버로|내웹훅|웹훅으로|(?:내|제)(?:사이트|서버|계정|것|꺼)(?:는|은)?아니"
)
_MALICE_EN = (
    r"\b(?:someone\s+else'?s|someone'?s|other\s+people'?s|my\s+(?:neighbou?r|ex|girlfriend|boyfriend|coworker|boss)\w*"
    r"|neighbou?r'?s|without\s+(?:them|their|his|her|the\s+owner|permission|authori[sz]ation|consent|approval)"
    r"|not\s+authori[sz]ed|no\s+approval|secretly|silently|undetected|victims?|government\s+(?:website|site|employee)\w*"
    r"|ransom\s+note|demand\w*\s+(?:bitcoin|payment|ransom)|i\s+found|revenge|blackmail|spread\s+it|distribute\s+it"
    r"|disguised\s+as|pretend\w*\s+to\s+be|(?:players|customers|users)'\s+\w+|can'?t\s+recover"
    r"|roommate\w*|landlord\w*|(?:old|former|ex-?)\s+employer\w*|coworkers?'?s?|stranger'?s|before\s+i\s+quit"
    r"|(?:can'?t|won'?t|never)\s+(?:find\s+out|notice)|without\s+(?:getting\s+caught|(?:her|him|them|anyone)\s+(?:knowing|noticing))"
    r"|pretending\s+to\s+be|looks?\s+like\s+(?:it\s+)?(?:comes?|came)\s+from"
    r"|to\s+my\s+(?:server|webhook|discord|telegram)|(?:i\s+)?don'?t\s+own|rival|competitor'?s?|my\s+(?:wife|husband|partner|spouse)'?s?|exam\s+server|not\s+mine|forwards?\s+every)\b"
)
_DEFENSE_KO = (
    r"탐지규칙|탐지하|탐지할|탐지방법|탐지룰|방어|막으려|막는|막을|차단|대응|패치|수정하|강화|하드닝|제거|분석|교육|훈련"
    r"|점검|보안담당|모니터링|(?<![프블])로그(?!인|아웃|램)|시그니처|야라|완화|대비|조치|모의훈련"
)
# Victim-side or explanatory framing: someone protecting themselves or learning what a thing is.
_PROTECT_KO = r"보호|예방|신고|속지|안당하|당한것같|감염된것같|감염된거같|의심|복구|원리|설명|뭐야|무엇|차이|란무엇|역사|조심"
_PROTECT_EN = (
    r"\b(?:(?<!endpoint\s)(?<!antivirus\s)(?<!malware\s)protect\w*|prevent\w*|report\w*|what\s+should\s+i\s+do|i\s+think\s+my|recover\w*|what\s+is|what\s+are"
    r"|explain\w*|how\s+does|history\s+of|difference\s+between|why\s+(?:do|does|is|are)|avoid\w*|spot\w*)\b"
)
_MAKE_KO = r"짜줘|짜주|짜봐|만들어|작성해|코드|스크립트|구문|도구|페이로드"
_MAKE_EN = r"\b(?:write|build|create|make|generate|code|script|tool|payloads?)\b"
_DEFENSE_EN = (
    r"\b(?:detect\w*|defen[dcs]\w*|mitigat\w*|patch\w*|fix\w*|harden\w*|secure\s+(?:my|our)|remov\w+"
    r"|clean\s+up|incident|(?<!anti-)(?<!anti)forensic\w*|yara|sigma|alert\w*|monitor\w*|awareness|training|analy[sz]\w*"
    r"|signature\w*|blue\s+team|soc\s+analyst|respond\w*|simulation|approved\s+by)\b"
)
_AUTH_KO = (
    r"우리회사|우리서버|우리웹|우리앱|자사|허가받은|허가를받|승인받은|승인을받|승인된|계약된|계약한|계약서"
    r"|범위안|범위내|실습|테스트환경|가상머신|랩환경|ctf|교육용|(?<!회)사내|내네트워크|내바이너리|내문제|우리파일|우리웹|우리서버"
    r"|(?<![a-z])(?:lab|vm)s?(?![a-z])"
)
_AUTH_EN = (
    r"\b(?:my\s+own|our\s+own|our\s+(?:company|server|network|app|web\s*app|site|staff|employees)|authori[sz]ed|with\s+permission"
    r"|in[\s-]scope|engagement|rules\s+of\s+engagement|lab|ctf|capture\s+the\s+flag|test\s+environment|sandbox|virtual\s+machine"
    r"|homelab|training\s+(?:range|environment)|client\s+signed|signed\s+contract|hired\s+us)\b"
)

_HOST = re.compile(
    r"(?<![\w@.-])(?:(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w-])",
    re.IGNORECASE,
)
_NOT_HOST_SUFFIX = re.compile(
    r"\.(?:py|js|ts|exe|dll|hwp|docx?|xlsx?|pdf|apk|txt|json|sh|ps1|zip|md|html?|png|jpe?g|csv)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    def both(ko: str, en: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
        return re.compile(ko, re.IGNORECASE), re.compile(en, re.IGNORECASE)

    return {
        "artifact": both(_ARTIFACT_KO, _ARTIFACT_EN),
        "action": both(_ACTION_KO, _ACTION_EN),
        "dual": both(_DUAL_KO, _DUAL_EN),
        "request": both(_REQUEST_KO, _REQUEST_EN),
        "malice": both(_MALICE_KO, _MALICE_EN),
        "defense": both(_DEFENSE_KO, _DEFENSE_EN),
        "authorized": both(_AUTH_KO, _AUTH_EN),
        "protect": both(_PROTECT_KO, _PROTECT_EN),
        "make": both(_MAKE_KO, _MAKE_EN),
    }


def hosts_in(text: str) -> list[str]:
    """Domains, IPv4 addresses and CIDR ranges named in ``text`` (lower-cased, in order, once)."""
    out: list[str] = []
    for m in _HOST.finditer(text):
        h = m.group(0).lower().rstrip(".")
        if _NOT_HOST_SUFFIX.search(h) or h in out:
            continue
        out.append(h)
    return out


def _cues(text: str) -> dict[str, list[str]]:
    from suho.korean import normalize

    norm = normalize(text).text
    clean = _IDIOMS.sub(" ", norm)
    compact = re.sub(r"\s+", "", clean)
    lower = clean.lower()
    found: dict[str, list[str]] = {}
    pats = _patterns()
    for group in _PRIMARY:  # without one of these the text is benign: skip the rest
        _collect(found, group, pats[group], compact, lower)
    if found:
        for group in _SECONDARY:
            _collect(found, group, pats[group], compact, lower)
    return found


_PRIMARY = ("artifact", "action", "dual", "malice")
_SECONDARY = ("request", "defense", "authorized", "protect", "make")


def _collect(
    found: dict[str, list[str]],
    group: str,
    pats: tuple[re.Pattern[str], re.Pattern[str]],
    compact: str,
    lower: str,
) -> None:
    ko, en = pats
    if ko.search(compact) is None and en.search(lower) is None:
        return
    hits = [m.group(0) for m in ko.finditer(compact)] + [m.group(0) for m in en.finditer(lower)]
    found[group] = hits[:5]


def classify(text: str) -> tuple[str, float, dict[str, list[str]]]:
    """``(label, score, cues)`` for ``text``: label is ``offensive``, ``dual-use`` or ``benign``."""
    cues = _cues(text)
    core = "artifact" in cues or "action" in cues
    dual = "dual" in cues
    request = "request" in cues
    malice = "malice" in cues
    framed = "defense" in cues or "authorized" in cues
    protect = "protect" in cues and not malice
    make = "make" in cues
    both_core = "artifact" in cues and "action" in cues
    if core and malice:
        return "offensive", 0.9 + 0.05 * request, cues
    if both_core and request and not framed and not protect:
        return "offensive", 0.8, cues
    if core and request and not framed and not protect:
        return "offensive", 0.75, cues
    if dual and malice and request:
        return "offensive", 0.7, cues
    if (core or dual) and protect and not make and not framed:
        return "benign", 0.25, cues
    if (core or dual) and (framed or protect) and request:
        return "dual-use", 0.55, cues
    if core and (framed or protect):
        return "benign", 0.3, cues
    if (core or dual) and request:
        return "dual-use", 0.45, cues
    if core or dual or malice:
        return ("dual-use", 0.4, cues) if core and not framed else ("benign", 0.2, cues)
    return "benign", 0.05, cues


class CyberOffenseDetector(TextDetector):
    """Requests for offensive cyber work (malware, account takeover, phishing kits, DDoS, evasion)
    in Korean, English and mixed text, told apart from dual-use and defensive security work.

    Catches attack artifacts and actions asked for with malice or with no defensive frame, after
    the Korean normaliser has undone jamo, spacing, invisible-character and homoglyph obfuscation.
    Misses attacks described only by their effect, new slang, other languages, base64 or other
    encodings, and attacks split across harmless turns (the gateway joins the conversation for
    that). ``hit`` = offensive; ``label`` = offensive / dual-use / benign.
    """

    name: ClassVar[str] = "cyber-offense"
    kind: ClassVar[DetectorKind] = "harm"
    dataset: ClassVar[str] = "cyber"

    def check(self, item: DetectInput) -> Verdict:
        label, score, cues = classify(item.text)
        evidence: dict[str, Any] = {"cues": cues, "hosts": hosts_in(item.text)}
        return Verdict(
            detector=self.name,
            hit=score >= OFFENSIVE,
            score=score,
            kind="harm",
            label=label,
            stage="rule",
            evidence=evidence,
        )


__all__ = ["CYBER_LABELS", "DUAL_USE", "OFFENSIVE", "CyberOffenseDetector", "classify", "hosts_in"]

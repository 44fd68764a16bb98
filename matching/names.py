"""Whether two given names can belong to one person: equal, an initial, a nickname, a typo,
or the first and last names swapped. Used to keep a household's shared phone or email from
merging its members."""

from __future__ import annotations

from functools import lru_cache

# Common English given names and their usual short forms (a standard list, not tuned to any
# data set). Each group is one name family.
_GROUPS = """
robert bob rob bobby robbie bert | william will bill billy liam willy | james jim jimmy jamie
john jack johnny jon | jonathan jon jonny | michael mike mick mickey mikey | richard rick rich
richie dick | peter pete | stephen steven steve stevie | anthony tony ant | timothy tim timmy
nicholas nick nicky | edward ed eddie ted teddy ned | patrick pat paddy | joseph joe joey
daniel dan danny | matthew matt matty | andrew andy drew | david dave davey | benjamin ben
benny | joshua josh | thomas tom tommy | christopher chris kit topher | charles charlie chuck
chas | henry harry hank | frederick fred freddie | alexander alex alec xander sandy
samuel sam sammy | gregory greg | jeffrey jeff | kenneth ken kenny | lawrence larry laurie
leonard leo len lenny | nathaniel nathan nate nat | raymond ray | ronald ron ronnie
donald don donnie | douglas doug | gerald gerry jerry | harold hal harry | jacob jake
zachary zach zack | oliver ollie | frank francis frankie | vincent vince vinnie | philip phil pip
phillip phil | terence terry | walter walt wally | albert al bert | alfred alf alfie
elizabeth liz lizzie beth eliza betty bess libby lisa | katherine kate kath katie kathy kat kitty
catherine cathy cate kate kat | kathleen kath kathy | margaret maggie peggy meg marge
patricia trish pat patty tricia | jennifer jen jenny | victoria vicky tori vic
alexandra alex lexi sandra sandy | rebecca bec becky | samantha sam sammy | jessica jess jessie
christine chris chrissy tina | christina chris tina | deborah deb debbie | susan sue suzie suzy
barbara barb babs | kimberley kim | kimberly kim | abigail abby abbie | isabella bella izzy
isabel izzy bel | josephine jo josie | theresa tess terri tessa | penelope penny pen
jacqueline jackie jacqui | gabrielle gabby gabi | stephanie steph | natalie nat
amanda mandy | eleanor ellie nell nora | frances fran | dorothy dot dottie | valerie val
judith judy jude | pamela pam | angela angie | danielle dani | annabelle annie anna
matilda tilly | charlotte charlie lottie | olivia liv livvy | harriet hattie | veronica ronnie
anastasia stacey ana | francesca fran frankie | valentina val | bronwyn bron | ann anne annie
mary molly polly mae | sarah sally sadie | susanna sue susie | caroline carol carrie
madeleine maddie | madison maddie | jacinta jess | lucinda lucy | nicole nicki nikki
jasmine jaz jas | melissa mel | melanie mel | michelle shelly | rosemary rose rosie
evelyn evie eve | emily em emmy | emma em | georgina george gina | louise lou | lucy lu
"""


def _parse() -> dict[str, frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for i, chunk in enumerate(_GROUPS.replace("\n", " ").split("|")):
        for name in chunk.split():
            groups.setdefault(name, set()).add(i)
    return {k: frozenset(v) for k, v in groups.items()}


_NICK = _parse()


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity in [0, 1]."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    ma, mb = [False] * la, [False] * lb
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not mb[j] and b[j] == ch:
                ma[i] = mb[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    k = transpositions = 0
    for i in range(la):
        if ma[i]:
            while not mb[k]:
                k += 1
            if a[i] != b[k]:
                transpositions += 1
            k += 1
    m = float(matches)
    jaro = (m / la + m / lb + (m - transpositions / 2) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


@lru_cache(maxsize=200_000)
def given_names_compatible(a: str, b: str) -> bool:
    """True when folded given names `a` and `b` can be one person's."""
    if not a or not b or a == b:
        return True
    ta, tb = a.split(), b.split()
    # "mary ann" vs "mary": a shared first token.
    if ta[0] == tb[0]:
        return True
    fa, fb = ta[0], tb[0]
    if len(fa) == 1 or len(fb) == 1:
        return fa[0] == fb[0]
    if _NICK.get(fa, frozenset()) & _NICK.get(fb, frozenset()):
        return True
    if len(fa) >= 3 and len(fb) >= 3 and (fa.startswith(fb) or fb.startswith(fa)):
        return True
    return jaro_winkler(fa, fb) >= 0.88


def people_compatible(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """(given, family) pairs that can be one person, allowing swapped first and last names."""
    if given_names_compatible(a[0], b[0]):
        return True
    return bool(a[0] and a[1] and b[0] and b[1]) and (
        given_names_compatible(a[0], b[1]) and given_names_compatible(a[1], b[0])
    )


def disagreeing_people(names: list[tuple[str, str]]) -> bool:
    """True when the (given, family) names of several records cannot all be one person."""
    known = sorted({n for n in names if n[0]})
    for i, x in enumerate(known):
        for y in known[i + 1 :]:
            if not people_compatible(x, y):
                return True
    return False

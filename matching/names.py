"""Whether two given names can belong to one person: equal, an initial, a nickname, a typo,
or the first and last names swapped. Used to keep a household's shared phone or email from
merging its members."""

from __future__ import annotations

from functools import lru_cache

from nicknames import name_triplets

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


def _parse() -> tuple[dict[str, frozenset[int]], list[str]]:
    """Name -> the numbers of the name families it belongs to: the groups above, then one
    family per formal name of the `nicknames` package (the name and its nicknames); and
    each family's formal name (its root), by number."""
    groups: dict[str, set[int]] = {}
    roots: list[str] = []
    for chunk in _GROUPS.replace("\n", " ").split("|"):
        names = chunk.split()
        for name in names:
            groups.setdefault(name, set()).add(len(roots))
        roots.append(names[0])
    family: dict[str, int] = {}
    for triplet in name_triplets():
        i = family.get(triplet.name1)
        if i is None:
            i = family[triplet.name1] = len(roots)
            roots.append(triplet.name1)
        for name in (triplet.name1, triplet.name2):
            groups.setdefault(name, set()).add(i)
    return {k: frozenset(v) for k, v in groups.items()}, roots


_NICK, _ROOTS = _parse()
_KNOWN_BY_LENGTH: dict[int, tuple[str, ...]] = {}
for _name in sorted(_NICK):
    _KNOWN_BY_LENGTH.setdefault(len(_name), ())
    _KNOWN_BY_LENGTH[len(_name)] += (_name,)
# A typo is only corrected to a known name in names this long: in shorter ones one edit
# turns a name into another (ian/ivan, amy/ams).
_MIN_TYPO_LENGTH = 5


def one_edit_apart(a: str, b: str) -> bool:
    """True when `b` is `a` with one character inserted, deleted, replaced, or two adjacent
    characters swapped (Damerau-Levenshtein distance 1)."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=50_000)
def _families(name: str) -> frozenset[int]:
    """The name families of a given name, or of the known names one typo away from it."""
    found = _NICK.get(name)
    if found is not None or len(name) < _MIN_TYPO_LENGTH:
        return found or frozenset()
    out: set[int] = set()
    for length in (len(name) - 1, len(name), len(name) + 1):
        for known in _KNOWN_BY_LENGTH.get(length, ()):
            if one_edit_apart(name, known):
                out |= _NICK[known]
    return frozenset(out)


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
    if _families(fa) & _families(fb):
        return True
    if len(fa) >= 3 and len(fb) >= 3 and (fa.startswith(fb) or fb.startswith(fa)):
        return True
    if min(len(fa), len(fb)) >= _MIN_TYPO_LENGTH and one_edit_apart(fa, fb):
        return True
    return jaro_winkler(fa, fb) >= 0.88


def _surname_only(x: tuple[str, str], other: tuple[str, str]) -> bool:
    """Whether `x` names a family only: its given name is its own family name, or it has no
    family name and its given name is the other record's family name (a clerk who typed
    only the surname, or typed it twice). "walker, renee" is a swapped name, not this."""
    return bool(x[0]) and (x[0] == x[1] or (not x[1] and x[0] == other[1]))


def _short_typo(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """A typo in a short given name ("hugo" / "higo", "zoe" / "ze", "mei" / "mi") under the
    same family name, give or take one typo there too. Short names one edit apart are only
    taken for a typo when they are not two names of different known name families ("ian"
    and "ivan"): two members of a household rarely bear names one letter apart."""
    ga, gb = a[0].split()[0] if a[0] else "", b[0].split()[0] if b[0] else ""
    if not ga or not gb or min(len(ga), len(gb)) < 2 or not one_edit_apart(ga, gb):
        return False
    known_a, known_b = _NICK.get(ga), _NICK.get(gb)
    if known_a and known_b and not known_a & known_b:
        return False
    fa, fb = a[1], b[1]
    return (
        bool(fa)
        and bool(fb)
        and (fa == fb or (min(len(fa), len(fb)) >= 4 and one_edit_apart(fa, fb)))
    )


def people_compatible(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """(given, family) pairs that can be one person, allowing swapped first and last names,
    a record whose given-name field holds the family name, and a typo in a short given name
    under the same family name."""
    if given_names_compatible(a[0], b[0]) or _short_typo(a, b):
        return True
    if _surname_only(a, b) or _surname_only(b, a):
        return True
    if a[0] and a[1] and b[0] and not b[1]:
        # "lin, sanjay" and "sanjay": the one name given is the other's family name.
        return given_names_compatible(a[1], b[0])
    if b[0] and b[1] and a[0] and not a[1]:
        return given_names_compatible(b[1], a[0])
    return bool(a[0] and a[1] and b[0] and b[1]) and (
        given_names_compatible(a[0], b[1]) and given_names_compatible(a[1], b[0])
    )


def names_one_person(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two full folded (given, family) names name one person by the name alone: one
    family name and given names that can be one person's (a typo, a nickname, an initial:
    "micaela" / "michaela")."""
    (ga, fa), (gb, fb) = a, b
    if not (ga and fa and gb and fb) or fa != fb:
        return False
    return given_names_compatible(ga, gb) or _short_typo(a, b)


def duplicate_account_names(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether folded (given, family) names of two records that share a personal email or
    phone can be one person's two accounts: the same family name and given names that can
    be one person's (an initial, a nickname, a typo: "j chambers" / "jacqueline chambers",
    "judy liu" / "judith liu"); or one family name missing and two given names of more than
    an initial that can be one person's ("kevin" / "kevin brown"). Two given names of
    different people never pass ("john" / "jacqueline"), nor a family name alone."""
    (ga, fa), (gb, fb) = a, b
    if not ga or not gb:
        return False
    if fa and fb:
        return names_one_person(a, b)
    if fa or fb:
        first_a, first_b = ga.split()[0], gb.split()[0]
        if min(len(first_a), len(first_b)) < 2 or _surname_only(a, b) or _surname_only(b, a):
            return False
        return given_names_compatible(ga, gb)
    return False


def optimal_string_alignment(a: str, b: str) -> int:
    """Edits (insertions, deletions, substitutions, swaps of adjacent characters) that turn
    `a` into `b`, no substring edited twice."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


_CLEARLY_DIFFERENT_EDITS = 3
"""Given names this many edits apart (or more) are two names; fewer may be one name typed
twice with a typo or two ("talyaj" / "taylah", "syivie" / "sylvbe"). In names of up to
`_SHORT_NAME` letters two edits are half the name ("mia" / "ava"): two names."""
_SHORT_NAME = 4


def _squeezed(name: str) -> str:
    return "".join(ch for ch in name if ch.isalpha())


@lru_cache(maxsize=200_000)
def clearly_different_given_names(a: str, b: str) -> bool:
    """Whether folded given names `a` and `b` are two different names, not one name with a
    typo, a stray space, a nickname or an initial: two known names of different name
    families ("tom" / "tim", "jack" / "jake"), or names at least
    `_CLEARLY_DIFFERENT_EDITS` edits apart (two in short names) that
    `given_names_compatible` does not join.

    Public test data (FEBRL) misspells given names often, by an edit or two and by spaces
    inside the name ("ja ck"); such a pair is one person with a typo, not two relatives."""
    if not a or not b or given_names_compatible(a, b):
        return False
    sa, sb = _squeezed(a), _squeezed(b)
    if not sa or not sb or sa == sb or given_names_compatible(sa, sb):
        return False
    first_a, first_b = a.split()[0], b.split()[0]
    known_a, known_b = _NICK.get(first_a), _NICK.get(first_b)
    if known_a and known_b and first_a != first_b and not known_a & known_b:
        return True
    edits = optimal_string_alignment(sa, sb)
    short = min(len(sa), len(sb)) <= _SHORT_NAME
    return edits >= _CLEARLY_DIFFERENT_EDITS or (short and edits >= 2)


def different_family_members(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether folded (given, family) names of two records name two members of one family:
    both full, the same family name, and given names that are clearly two names
    (`clearly_different_given_names`: "oliver" / "harry", not "john michael" / "michael",
    "jonathon" / "jonathan" or "talyaj" / "taylah"), and no swap of given and family name.

    Twins share a family name, a date of birth and an address, and siblings and parents
    share all but the date of birth: that is more evidence than most duplicates carry, so
    no score built from it can tell them apart from one person, and a family's landline or
    email is shared too. Probabilistic matching therefore holds such a pair back unless
    something only one person holds agrees (`matching.family_rule`).
    """
    (ga, fa), (gb, fb) = a, b
    if not (ga and fa and gb and fb) or fa != fb:
        return False
    if set(ga.split()) & set(gb.split()):
        return False
    return clearly_different_given_names(ga, gb) and not people_compatible(a, b)


def disagreeing_people(names: list[tuple[str, str]]) -> bool:
    """True when the (given, family) names of several records cannot all be one person."""
    known = sorted({n for n in names if n[0]})
    for i, x in enumerate(known):
        for y in known[i + 1 :]:
            if not people_compatible(x, y):
                return True
    return False


def nickname_roots() -> list[tuple[str, str]]:
    """(given name, roots) for every name of a known name family, where roots are the
    formal names of its families, sorted and joined with "|" ("bill" -> "william", "chris"
    -> "christina|christine|christopher|..."). Two given names that share a root can be
    one person's; matching looks names up here (exact names only, no typo correction)."""
    return [
        (name, "|".join(sorted({_ROOTS[i] for i in families})))
        for name, families in sorted(_NICK.items())
    ]

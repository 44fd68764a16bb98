"""A small built-in gazetteer (suburb, state, postcode, urbanity) and street addresses.

Postcodes are real-looking four-digit codes for AU and NZ (NT codes start with 0),
outward+inward codes for the UK. The set is small on purpose: many people share a
suburb, which is what a matcher sees in real data.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    suburb: str
    state: str
    postcode: str
    country: str
    urbanity: str


@dataclass(frozen=True, slots=True)
class Address:
    """A street address; `line1` is the canonical form, sources add their own noise."""

    number: str
    unit: str
    street: str
    street_type: str
    place: Place

    @property
    def line1(self) -> str:
        unit = f"{self.unit}/" if self.unit else ""
        return f"{unit}{self.number} {self.street} {self.street_type}"


_AU = """
Sydney|NSW|2000|inner  The Rocks|NSW|2000|inner  Surry Hills|NSW|2010|inner
Darlinghurst|NSW|2010|inner  Redfern|NSW|2016|inner  Newtown|NSW|2042|inner
Glebe|NSW|2037|inner  Bondi|NSW|2026|inner  Bondi Junction|NSW|2022|metro
Coogee|NSW|2034|metro  Randwick|NSW|2031|metro  Paddington|NSW|2021|inner
Balmain|NSW|2041|inner  Leichhardt|NSW|2040|metro  Marrickville|NSW|2204|metro
Ashfield|NSW|2131|metro  Burwood|NSW|2134|metro  Strathfield|NSW|2135|metro
Chatswood|NSW|2067|metro  North Sydney|NSW|2060|inner  Mosman|NSW|2088|metro
Manly|NSW|2095|metro  Dee Why|NSW|2099|metro  Mona Vale|NSW|2103|metro
Hornsby|NSW|2077|metro  Epping|NSW|2121|metro  Ryde|NSW|2112|metro
Macquarie Park|NSW|2113|metro  Parramatta|NSW|2150|metro  Castle Hill|NSW|2154|metro
Baulkham Hills|NSW|2153|metro  Blacktown|NSW|2148|metro  Penrith|NSW|2750|metro
Liverpool|NSW|2170|metro  Campbelltown|NSW|2560|metro  Bankstown|NSW|2200|metro
Hurstville|NSW|2220|metro  Cronulla|NSW|2230|metro  Miranda|NSW|2228|metro
Sutherland|NSW|2232|metro  Kogarah|NSW|2217|metro  Rockdale|NSW|2216|metro
Auburn|NSW|2144|metro  Fairfield|NSW|2165|metro  Cabramatta|NSW|2166|metro
Wollongong|NSW|2500|regional  Newcastle|NSW|2300|regional  Merewether|NSW|2291|regional
Maitland|NSW|2320|regional  Gosford|NSW|2250|regional  Terrigal|NSW|2260|regional
Byron Bay|NSW|2481|regional  Port Macquarie|NSW|2444|regional
Coffs Harbour|NSW|2450|regional  Wagga Wagga|NSW|2650|regional  Albury|NSW|2640|regional
Orange|NSW|2800|regional  Bathurst|NSW|2795|regional  Dubbo|NSW|2830|regional
Tamworth|NSW|2340|regional  Armidale|NSW|2350|regional  Lismore|NSW|2480|regional
Queanbeyan|NSW|2620|regional  Goulburn|NSW|2580|rural  Bowral|NSW|2576|rural
Kiama|NSW|2533|rural  Nowra|NSW|2541|regional  Broken Hill|NSW|2880|rural
Mudgee|NSW|2850|rural
Canberra|ACT|2601|inner  Braddon|ACT|2612|inner  Belconnen|ACT|2617|metro
Phillip|ACT|2606|metro  Greenway|ACT|2900|metro  Gungahlin|ACT|2912|metro
Kingston|ACT|2604|inner
Melbourne|VIC|3000|inner  Southbank|VIC|3006|inner  Docklands|VIC|3008|inner
Carlton|VIC|3053|inner  Fitzroy|VIC|3065|inner  Collingwood|VIC|3066|inner
Richmond|VIC|3121|inner  Brunswick|VIC|3056|inner  Northcote|VIC|3070|metro
Preston|VIC|3072|metro  St Kilda|VIC|3182|inner  South Yarra|VIC|3141|inner
Prahran|VIC|3181|inner  Toorak|VIC|3142|metro  Hawthorn|VIC|3122|metro
Camberwell|VIC|3124|metro  Kew|VIC|3101|metro  Box Hill|VIC|3128|metro
Doncaster|VIC|3108|metro  Glen Waverley|VIC|3150|metro  Malvern|VIC|3144|metro
Brighton|VIC|3186|metro  Elwood|VIC|3184|metro  Footscray|VIC|3011|metro
Yarraville|VIC|3013|metro  Williamstown|VIC|3016|metro  Sunshine|VIC|3020|metro
Werribee|VIC|3030|metro  Essendon|VIC|3040|metro  Coburg|VIC|3058|metro
Reservoir|VIC|3073|metro  Bundoora|VIC|3083|metro  Ringwood|VIC|3134|metro
Croydon|VIC|3136|metro  Dandenong|VIC|3175|metro  Frankston|VIC|3199|metro
Mornington|VIC|3931|metro  Cranbourne|VIC|3977|metro  Pakenham|VIC|3810|metro
Berwick|VIC|3806|metro  Geelong|VIC|3220|regional  Torquay|VIC|3228|regional
Ballarat|VIC|3350|regional  Bendigo|VIC|3550|regional  Shepparton|VIC|3630|regional
Mildura|VIC|3500|rural  Traralgon|VIC|3844|regional  Warrnambool|VIC|3280|rural
Wodonga|VIC|3690|regional
Brisbane City|QLD|4000|inner  Fortitude Valley|QLD|4006|inner  New Farm|QLD|4005|inner
South Brisbane|QLD|4101|inner  West End|QLD|4101|inner  Paddington|QLD|4064|inner
Toowong|QLD|4066|metro  Indooroopilly|QLD|4068|metro  Chermside|QLD|4032|metro
Carindale|QLD|4152|metro  Sunnybank|QLD|4109|metro  Springwood|QLD|4127|metro
Ipswich|QLD|4305|metro  Redcliffe|QLD|4020|metro  North Lakes|QLD|4509|metro
Southport|QLD|4215|metro  Surfers Paradise|QLD|4217|metro  Broadbeach|QLD|4218|metro
Robina|QLD|4226|metro  Burleigh Heads|QLD|4220|metro  Coolangatta|QLD|4225|metro
Maroochydore|QLD|4558|regional  Noosa Heads|QLD|4567|regional
Caloundra|QLD|4551|regional  Toowoomba|QLD|4350|regional  Cairns|QLD|4870|regional
Townsville|QLD|4810|regional  Mackay|QLD|4740|regional  Rockhampton|QLD|4700|regional
Bundaberg|QLD|4670|regional  Hervey Bay|QLD|4655|regional  Gladstone|QLD|4680|rural
Adelaide|SA|5000|inner  North Adelaide|SA|5006|inner  Norwood|SA|5067|metro
Unley|SA|5061|metro  Glenelg|SA|5045|metro  Prospect|SA|5082|metro
Burnside|SA|5066|metro  Mawson Lakes|SA|5095|metro  Modbury|SA|5092|metro
Marion|SA|5043|metro  Salisbury|SA|5108|metro  Elizabeth|SA|5112|metro
Port Adelaide|SA|5015|metro  Mount Barker|SA|5251|regional
Victor Harbor|SA|5211|rural  Mount Gambier|SA|5290|regional  Whyalla|SA|5600|rural
Perth|WA|6000|inner  Northbridge|WA|6003|inner  Subiaco|WA|6008|inner
Leederville|WA|6007|inner  Cottesloe|WA|6011|metro  Claremont|WA|6010|metro
Scarborough|WA|6019|metro  Joondalup|WA|6027|metro  Fremantle|WA|6160|metro
Applecross|WA|6153|metro  Victoria Park|WA|6100|metro  Midland|WA|6056|metro
Rockingham|WA|6168|metro  Mandurah|WA|6210|regional  Baldivis|WA|6171|metro
Ellenbrook|WA|6069|metro  Bunbury|WA|6230|regional  Busselton|WA|6280|regional
Geraldton|WA|6530|regional  Kalgoorlie|WA|6430|rural  Albany|WA|6330|rural
Hobart|TAS|7000|inner  Sandy Bay|TAS|7005|inner  Battery Point|TAS|7004|inner
Glenorchy|TAS|7010|metro  Kingston|TAS|7050|metro  Launceston|TAS|7250|regional
Devonport|TAS|7310|regional  Burnie|TAS|7320|rural
Darwin|NT|0800|inner  Parap|NT|0820|metro  Casuarina|NT|0810|metro
Palmerston|NT|0830|metro  Alice Springs|NT|0870|rural  Katherine|NT|0850|rural
"""

_NZ = """
Auckland Central|AUK|1010|inner  Ponsonby|AUK|1011|inner  Parnell|AUK|1052|inner
Takapuna|AUK|0622|metro  Wellington Central|WGN|6011|inner  Karori|WGN|6012|metro
Christchurch Central|CAN|8011|inner  Hamilton|WKO|3204|regional
Tauranga|BOP|3110|regional  Dunedin|OTA|9016|regional  Queenstown|OTA|9300|rural
"""

_GB = """
London|ENG|SW11 2PW|inner  London|ENG|E2 7DJ|inner  London|ENG|N1 9GU|inner
Manchester|ENG|M4 1HN|inner  Edinburgh|SCT|EH3 6SS|inner  Bristol|ENG|BS8 1TH|metro
Brighton|ENG|BN1 1AE|metro  Leeds|ENG|LS1 4DT|inner
"""


def _parse(text: str, country: str) -> tuple[Place, ...]:
    places = []
    for line in text.strip().splitlines():
        for cell in line.split("  "):
            if cell.strip():
                suburb, state, postcode, urbanity = cell.strip().split("|")
                places.append(Place(suburb, state, postcode, country, urbanity))
    return tuple(places)


AU_PLACES = _parse(_AU, "AU")
NZ_PLACES = _parse(_NZ, "NZ")
GB_PLACES = _parse(_GB, "GB")
ALL_PLACES = AU_PLACES + NZ_PLACES + GB_PLACES

STATE_NAMES: dict[str, str] = {
    "NSW": "New South Wales",
    "VIC": "Victoria",
    "QLD": "Queensland",
    "WA": "Western Australia",
    "SA": "South Australia",
    "TAS": "Tasmania",
    "ACT": "Australian Capital Territory",
    "NT": "Northern Territory",
    "AUK": "Auckland",
    "WGN": "Wellington",
    "CAN": "Canterbury",
    "WKO": "Waikato",
    "BOP": "Bay of Plenty",
    "OTA": "Otago",
    "ENG": "England",
    "SCT": "Scotland",
}

_STATE_SHARE = {
    "NSW": 0.31,
    "VIC": 0.27,
    "QLD": 0.20,
    "WA": 0.10,
    "SA": 0.07,
    "ACT": 0.02,
    "TAS": 0.02,
    "NT": 0.01,
}
_URBAN_WEIGHT = {"inner": 2.0, "metro": 3.0, "regional": 1.0, "rural": 0.5}


def _cum_weights(places: tuple[Place, ...], by_state: bool) -> list[float]:
    totals: dict[str, float] = {}
    for p in places:
        totals[p.state] = totals.get(p.state, 0.0) + _URBAN_WEIGHT[p.urbanity]
    weights = []
    for p in places:
        share = _STATE_SHARE.get(p.state, 1.0) if by_state else 1.0
        weights.append(share * _URBAN_WEIGHT[p.urbanity] / totals[p.state])
    return list(itertools.accumulate(weights))


_CUM = {
    "AU": (AU_PLACES, _cum_weights(AU_PLACES, True)),
    "NZ": (NZ_PLACES, _cum_weights(NZ_PLACES, False)),
    "GB": (GB_PLACES, _cum_weights(GB_PLACES, False)),
}

_STREETS = """
George King Queen Victoria Elizabeth William Church High Station Park Railway Albert
Edward Bridge Hill Market Mill Main Ocean Beach Bay Harbour River Lake Forest Valley
Wattle Banksia Acacia Jacaranda Waratah Bottlebrush Grevillea Eucalyptus Melaleuca Boronia
Kurrajong Tallowwood Ironbark Bluegum Stringybark Macquarie Hume Flinders Bass Cook Banks
Phillip Hunter Bligh Darling Bourke Collins Swanston Elizabeth Flinders Lonsdale Chapel
Glenferrie Sydney Pacific Princes Great_Western Parramatta Canterbury Anzac Military
Oxford Crown Pitt Liverpool Clarence Sussex Kent Goulburn Castlereagh Stanley Wellington
Nelson Wickham Ann Adelaide Edward Mary Margaret Charlotte Alice Grey Brunswick Gertrude
Johnston Smith Nicholson Lygon Rathdowne Sturt Rundle Hindley Grenfell Pirie Waymouth
Hay Murray Wellington St_Georges Beaufort Stirling Canning Mounts_Bay Cambridge Rokeby
Salamanca Sandy_Bay Davey Macquarie Liverpool Mitchell Cavenagh Smith Bagot Daly Gregory
Oak Elm Ash Cedar Pine Maple Willow Myrtle Laurel Hazel Rose Lily Violet Camellia
Ridge Crest View Summit Heights Grove Gardens Meadow Orchard Vineyard Brook Spring
Coral Reef Shell Dune Pelican Heron Kookaburra Magpie Lorikeet Rosella Cockatoo Emu
"""
STREETS: tuple[str, ...] = tuple(dict.fromkeys(_STREETS.split()))
"""Street names; an underscore stands for a space."""

STREET_TYPES: tuple[tuple[str, str], ...] = (
    ("Street", "St"),
    ("Road", "Rd"),
    ("Avenue", "Ave"),
    ("Drive", "Dr"),
    ("Court", "Ct"),
    ("Place", "Pl"),
    ("Crescent", "Cres"),
    ("Lane", "Ln"),
    ("Parade", "Pde"),
    ("Terrace", "Tce"),
    ("Way", "Way"),
    ("Close", "Cl"),
    ("Boulevard", "Blvd"),
    ("Highway", "Hwy"),
)
_TYPE_CUM = list(
    itertools.accumulate((30, 20, 14, 10, 6, 5, 5, 2, 2, 2, 2, 1.5, 0.3, 0.2)),
)
ABBREVIATION = dict(STREET_TYPES)


def place(rng: random.Random, country: str) -> Place:
    places, cum = _CUM[country]
    return rng.choices(places, cum_weights=cum)[0]


def address(rng: random.Random, where: Place) -> Address:
    """A street address in `where`: apartments are commoner in the inner city."""
    unit_p = {"inner": 0.45, "metro": 0.15, "regional": 0.07, "rural": 0.02}[where.urbanity]
    unit = str(rng.randint(1, 40)) if rng.random() < unit_p else ""
    number = str(min(int(rng.expovariate(1 / 30)) + 1, 400))
    if rng.random() < 0.03:
        number += rng.choice("AB")
    street_type = rng.choices(STREET_TYPES, cum_weights=_TYPE_CUM)[0][0]
    return Address(number, unit, rng.choice(STREETS).replace("_", " "), street_type, where)

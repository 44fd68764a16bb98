"""The retailer's product catalogue: categories, SKUs, titles and shelf prices.

The catalogue is the same for every seed (built from a fixed internal seed), so SKUs
mean the same thing across generated datasets. SKUs never contain ':' or ';' because
the POS export packs line items into one `sku:category:qty:price;...` cell.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = (
    "Womenswear",
    "Menswear",
    "Footwear",
    "Accessories",
    "Homeware",
    "Beauty",
    "Kids",
)

_CODES = {
    "Womenswear": "WW",
    "Menswear": "MW",
    "Footwear": "FW",
    "Accessories": "AC",
    "Homeware": "HW",
    "Beauty": "BT",
    "Kids": "KD",
}

_ITEMS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "Womenswear": (
        ("Linen Shirt", 59, 119),
        ("Midi Dress", 79, 199),
        ("Wrap Dress", 89, 179),
        ("Wide-Leg Pant", 69, 139),
        ("Knit Cardigan", 69, 149),
        ("Denim Jacket", 99, 179),
        ("Silk Cami", 49, 129),
        ("Pleated Skirt", 59, 129),
        ("Trench Coat", 149, 299),
        ("Organic Tee", 29, 49),
        ("Jumpsuit", 89, 169),
        ("Blazer", 119, 249),
    ),
    "Menswear": (
        ("Oxford Shirt", 59, 109),
        ("Stretch Chino", 69, 119),
        ("Pique Polo", 39, 79),
        ("Merino Crew Knit", 89, 159),
        ("Slim Jean", 79, 139),
        ("Bomber Jacket", 119, 219),
        ("Essential Tee", 25, 45),
        ("Linen Short", 49, 89),
        ("Overshirt", 79, 129),
        ("Suit Jacket", 199, 349),
    ),
    "Footwear": (
        ("Leather Sneaker", 99, 189),
        ("Ankle Boot", 129, 249),
        ("Penny Loafer", 119, 199),
        ("Strappy Sandal", 59, 129),
        ("Ballet Flat", 69, 129),
        ("Runner", 89, 169),
        ("Chelsea Boot", 149, 259),
        ("Espadrille", 49, 89),
        ("Slide", 29, 59),
    ),
    "Accessories": (
        ("Leather Belt", 39, 89),
        ("Canvas Tote", 29, 69),
        ("Crossbody Bag", 79, 199),
        ("Silk Scarf", 39, 99),
        ("Sunglasses", 49, 149),
        ("Baseball Cap", 25, 45),
        ("Leather Wallet", 49, 119),
        ("Wool Beanie", 25, 49),
        ("Hoop Earrings", 29, 79),
        ("Minimal Watch", 99, 249),
    ),
    "Homeware": (
        ("Linen Quilt Cover", 149, 329),
        ("Cushion Cover", 29, 69),
        ("Knit Throw", 69, 179),
        ("Ceramic Vase", 39, 119),
        ("Soy Candle", 24, 59),
        ("Bath Towel", 25, 59),
        ("Table Lamp", 89, 249),
        ("Dinner Set 12pc", 99, 229),
        ("Glass Tumbler Set", 29, 59),
        ("Terracotta Planter", 29, 89),
        ("Round Mirror", 99, 299),
        ("Jute Rug", 149, 449),
    ),
    "Beauty": (
        ("Hand Cream", 19, 39),
        ("Body Wash", 19, 35),
        ("Eau de Parfum", 69, 149),
        ("Lip Balm", 9, 19),
        ("Face Serum", 39, 89),
        ("Reed Diffuser", 39, 79),
        ("Bath Salts", 19, 39),
        ("Sheet Mask Pack", 15, 29),
    ),
    "Kids": (
        ("Kids Tee", 15, 29),
        ("Kids Hoodie", 29, 59),
        ("Baby Romper", 19, 39),
        ("Kids Sneaker", 39, 79),
        ("Kids PJ Set", 25, 49),
        ("Plush Toy", 19, 45),
        ("Kids Dress", 29, 59),
        ("Kids Short", 15, 35),
    ),
}

_COLOURS = (
    ("Black", "BLK"),
    ("White", "WHT"),
    ("Navy", "NVY"),
    ("Sage", "SGE"),
    ("Oat", "OAT"),
    ("Terracotta", "TER"),
    ("Blush", "BLS"),
    ("Charcoal", "CHA"),
    ("Ivory", "IVY"),
    ("Olive", "OLV"),
    ("Rust", "RST"),
    ("Sky", "SKY"),
)


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    title: str
    category: str
    price_cents: int

    @property
    def handle(self) -> str:
        """The URL slug, as in `/products/<handle>`."""
        return "-".join(self.title.lower().replace("-", " ").split())


def _price(rng: random.Random, low: int, high: int) -> int:
    dollars = rng.randint(low, high)
    cents = rng.choice((95, 95, 99, 0))
    return max(dollars * 100 + cents - (100 if cents else 0), 500)


def _build() -> dict[str, tuple[Product, ...]]:
    rng = random.Random("harbour-and-vine-catalogue-v1")
    by_category: dict[str, tuple[Product, ...]] = {}
    for category in CATEGORIES:
        products = []
        for n, (name, low, high) in enumerate(_ITEMS[category], start=1):
            price = _price(rng, low, high)
            for colour, code in rng.sample(_COLOURS, k=rng.randint(2, 5)):
                sku = f"{_CODES[category]}-{n:03d}-{code}"
                products.append(Product(sku, f"{name} - {colour}", category, price))
        by_category[category] = tuple(products)
    return by_category


BY_CATEGORY: dict[str, tuple[Product, ...]] = _build()
ALL_PRODUCTS: tuple[Product, ...] = tuple(p for ps in BY_CATEGORY.values() for p in ps)
BASE_SHARE: tuple[float, ...] = (0.30, 0.16, 0.15, 0.12, 0.14, 0.08, 0.05)
"""Share of spend per category (in `CATEGORIES` order) before personal preference."""


def money(cents: int) -> str:
    """`12345` -> `"123.45"`: every money amount in the output is written this way."""
    return f"{cents // 100}.{cents % 100:02d}"

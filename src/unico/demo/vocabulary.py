"""The words the demo catalog is built from: categories, brands, colours, sizes, materials, lines.

Brand and line names are invented; none is meant to be a real trademark.
"""

from __future__ import annotations

from dataclasses import dataclass

# (code, parent code, Italian name, English name); departments first, parents before children.
CATEGORIES: tuple[tuple[str, str | None, str, str], ...] = (
    ("fashion", None, "Moda", "Fashion"),
    ("sport", None, "Sport", "Sport"),
    ("home", None, "Casa", "Home"),
    ("fashion-women", "fashion", "Donna", "Women"),
    ("fashion-men", "fashion", "Uomo", "Men"),
    ("fashion-accessories", "fashion", "Accessori", "Accessories"),
    ("fashion-women-dresses", "fashion-women", "Abiti e gonne", "Dresses and skirts"),
    ("fashion-women-outerwear", "fashion-women", "Giacche e cappotti", "Coats and jackets"),
    ("fashion-women-knitwear", "fashion-women", "Maglieria e felpe", "Knitwear and sweatshirts"),
    ("fashion-women-trousers", "fashion-women", "Pantaloni e jeans", "Trousers and jeans"),
    ("fashion-women-tops", "fashion-women", "Camicie, bluse e t-shirt", "Shirts, blouses and T-shirts"),
    ("fashion-women-shoes", "fashion-women", "Scarpe", "Shoes"),
    ("fashion-men-outerwear", "fashion-men", "Giacche e cappotti", "Coats and jackets"),
    ("fashion-men-knitwear", "fashion-men", "Maglieria e felpe", "Knitwear and sweatshirts"),
    ("fashion-men-trousers", "fashion-men", "Pantaloni e jeans", "Trousers and jeans"),
    ("fashion-men-shirts", "fashion-men", "Camicie, polo e t-shirt", "Shirts, polos and T-shirts"),
    ("fashion-men-shoes", "fashion-men", "Scarpe", "Shoes"),
    ("fashion-accessories-bags", "fashion-accessories", "Borse e zaini", "Bags and backpacks"),
    (
        "fashion-accessories-small",
        "fashion-accessories",
        "Cinture, sciarpe e cappelli",
        "Belts, scarves and hats",
    ),
    ("sport-running", "sport", "Corsa", "Running"),
    ("sport-outdoor", "sport", "Montagna e trekking", "Hiking and outdoor"),
    ("sport-fitness", "sport", "Fitness e yoga", "Fitness and yoga"),
    ("sport-cycling", "sport", "Ciclismo", "Cycling"),
    ("sport-water", "sport", "Nuoto", "Swimming"),
    ("sport-team", "sport", "Calcio, pallavolo e padel", "Football, volleyball and padel"),
    ("sport-running-shoes", "sport-running", "Scarpe da corsa", "Running shoes"),
    ("sport-running-apparel", "sport-running", "Abbigliamento da corsa", "Running clothing"),
    ("sport-outdoor-apparel", "sport-outdoor", "Abbigliamento outdoor", "Outdoor clothing"),
    ("sport-outdoor-footwear", "sport-outdoor", "Scarponi e scarpe da trekking", "Hiking boots and shoes"),
    ("sport-outdoor-gear", "sport-outdoor", "Zaini, tende e attrezzatura", "Backpacks, tents and gear"),
    ("sport-fitness-apparel", "sport-fitness", "Abbigliamento fitness", "Fitness clothing"),
    ("sport-fitness-equipment", "sport-fitness", "Attrezzi e tappetini", "Equipment and mats"),
    ("home-bedroom", "home", "Camera da letto", "Bedroom"),
    ("home-bath", "home", "Bagno", "Bathroom"),
    ("home-kitchen", "home", "Cucina", "Kitchen"),
    ("home-table", "home", "Tavola", "Table"),
    ("home-decor", "home", "Decorazioni e luci", "Decor and lighting"),
)

# Brands serve the categories (at any level) listed with them.
BRANDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("FILODORO", "Filo d'Oro", ("fashion-women", "fashion-accessories")),
    ("SARTORIAVELA", "Sartoria Vela", ("fashion-men",)),
    ("CORTENOVE", "Corte Nove", ("fashion-women", "fashion-men")),
    ("MAISONLIDO", "Maison Lido", ("fashion-women", "fashion-accessories")),
    ("DENIMRIVA", "Denim Riva", ("fashion-women-trousers", "fashion-men-trousers", "fashion-men-shirts")),
    ("PASSOLIEVE", "Passo Lieve", ("fashion-women-shoes", "fashion-men-shoes")),
    ("BOTTEGAASTRA", "Bottega Astra", ("fashion-accessories", "fashion-men")),
    ("VETTARIA", "Vettaria", ("sport-outdoor",)),
    ("ALTAVIA", "Altavia", ("sport-outdoor", "sport-running")),
    ("CORSANOVA", "Corsanova", ("sport-running", "sport-fitness")),
    ("ONDABLU", "Ondablu", ("sport-water",)),
    ("RAPIDA", "Rapida Cycling", ("sport-cycling",)),
    ("KINETICA", "Kinetica", ("sport-fitness", "sport-team")),
    ("RETEUNO", "Rete Uno", ("sport-team",)),
    ("CASAOLMO", "Casa Olmo", ("home-bedroom", "home-bath", "home-decor")),
    ("LINOLANA", "Lino & Lana", ("home-bedroom", "home-bath", "home-table")),
    ("CUCINAVIVA", "Cucina Viva", ("home-kitchen", "home-table")),
    ("LUCECALDA", "Luce Calda", ("home-decor",)),
    ("NIDO", "Nido", ("home-bedroom", "home-decor", "home-table")),
)

# code -> (Italian, English); the code goes into SKUs, the Italian name onto the variant.
COLOURS: dict[str, tuple[str, str]] = {
    "NER": ("nero", "black"),
    "BIA": ("bianco", "white"),
    "BLU": ("blu", "navy blue"),
    "AZZ": ("azzurro", "light blue"),
    "ROS": ("rosso", "red"),
    "VER": ("verde", "green"),
    "OLI": ("verde oliva", "olive green"),
    "SAL": ("verde salvia", "sage green"),
    "GRI": ("grigio", "grey"),
    "ANT": ("antracite", "charcoal"),
    "BEI": ("beige", "beige"),
    "CAM": ("cammello", "camel"),
    "MAR": ("marrone", "brown"),
    "CUO": ("cuoio", "tan"),
    "BOR": ("bordeaux", "burgundy"),
    "GIA": ("giallo", "yellow"),
    "ARA": ("arancione", "orange"),
    "ROA": ("rosa antico", "dusty pink"),
    "VIO": ("viola", "purple"),
    "PAN": ("panna", "cream"),
    "SAB": ("sabbia", "sand"),
    "TER": ("terracotta", "terracotta"),
    "DEN": ("denim chiaro", "light denim"),
    "ACC": ("acciaio", "steel"),
    "RAM": ("rame", "copper"),
    "OTT": ("ottone", "brass"),
    "NAT": ("naturale", "natural"),
}

PALETTES: dict[str, tuple[str, ...]] = {
    "fashion": ("NER", "BIA", "BLU", "GRI", "BEI", "CAM", "BOR", "OLI", "ROA", "PAN"),
    "denim": ("BLU", "DEN", "NER", "GRI"),
    "leather": ("NER", "MAR", "CUO", "BOR", "BEI"),
    "sport": ("NER", "BLU", "ROS", "GIA", "ARA", "AZZ", "VER", "GRI", "BIA", "VIO"),
    "outdoor": ("NER", "BLU", "ROS", "OLI", "ANT", "ARA", "GIA", "SAB"),
    "home": ("BIA", "PAN", "SAB", "GRI", "SAL", "TER", "AZZ", "ROA", "ANT", "BLU"),
    "kitchen": ("NER", "ANT", "ROS", "ACC", "RAM", "BIA"),
    "natural": ("NAT",),
    "decor": ("BIA", "NER", "TER", "SAL", "OTT", "SAB", "BLU"),
}

# Size runs: (code used in the SKU, label shown on the variant).
SIZE_RUNS: dict[str, tuple[tuple[str, str], ...]] = {
    "apparel-women": tuple((s, s) for s in ("XS", "S", "M", "L", "XL")),
    "apparel-men": tuple((s, s) for s in ("S", "M", "L", "XL", "XXL")),
    "apparel-unisex": tuple((s, s) for s in ("XS", "S", "M", "L", "XL", "XXL")),
    "gloves": tuple((s, s) for s in ("S", "M", "L", "XL")),
    "helmet": (("S", "S (51-55 cm)"), ("M", "M (55-59 cm)"), ("L", "L (59-62 cm)")),
    "shoes-women": tuple((str(n), str(n)) for n in range(36, 42)),
    "shoes-men": tuple((str(n), str(n)) for n in range(39, 47)),
    "shoes-unisex": tuple((str(n), str(n)) for n in range(36, 47)),
    "belt": tuple((str(n), f"{n} cm") for n in (85, 90, 95, 100, 105)),
    "one": (("TU", "Taglia unica"),),
    "one-home": (("MU", "Misura unica"),),
    "bed": (("1P", "Singolo"), ("1P5", "Una piazza e mezza"), ("2P", "Matrimoniale")),
    "tablecloth": (("140X180", "140x180 cm"), ("140X240", "140x240 cm"), ("170X270", "170x270 cm")),
    "pan": tuple((str(n), f"{n} cm") for n in (20, 24, 28)),
    "pot": tuple((str(n), f"{n} cm") for n in (16, 20, 24)),
    "moka": (("3T", "3 tazze"), ("6T", "6 tazze")),
    "dumbbell": tuple((f"{n}KG", f"{n} kg") for n in (2, 4, 6, 8)),
    "kettlebell": tuple((f"{n}KG", f"{n} kg") for n in (8, 12, 16, 20)),
    "backpack": tuple((f"{n}L", f"{n} litri") for n in (20, 30, 45)),
    "ball": (("4", "Misura 4"), ("5", "Misura 5")),
    "vase": (("S", "Piccolo"), ("M", "Medio"), ("L", "Grande")),
}

# key -> (Italian, English)
MATERIALS: dict[str, tuple[str, str]] = {
    "cotton": ("cotone", "cotton"),
    "organic-cotton": ("cotone biologico", "organic cotton"),
    "linen": ("lino", "linen"),
    "wool": ("lana", "wool"),
    "merino": ("lana merino", "merino wool"),
    "cashmere": ("cashmere", "cashmere"),
    "silk": ("seta", "silk"),
    "viscose": ("viscosa", "viscose"),
    "denim": ("denim di cotone", "cotton denim"),
    "leather": ("pelle", "leather"),
    "suede": ("camoscio", "suede"),
    "canvas": ("tela", "canvas"),
    "polyester": ("poliestere riciclato", "recycled polyester"),
    "nylon": ("nylon", "nylon"),
    "goretex": ("membrana impermeabile e traspirante", "waterproof breathable membrane"),
    "down": ("piumino d'oca", "goose down"),
    "fleece": ("pile", "fleece"),
    "mesh": ("mesh tecnico", "engineered mesh"),
    "neoprene": ("neoprene", "neoprene"),
    "cast-iron": ("ghisa", "cast iron"),
    "steel": ("acciaio inox", "stainless steel"),
    "aluminium": ("alluminio", "aluminium"),
    "copper": ("rame", "copper"),
    "carbon": ("fibra di carbonio", "carbon fibre"),
    "cork": ("sughero", "cork"),
    "rubber": ("gomma naturale", "natural rubber"),
    "percale": ("percalle di cotone", "cotton percale"),
    "sateen": ("raso di cotone", "cotton sateen"),
    "flannel": ("flanella", "flannel"),
    "terry": ("spugna di cotone", "cotton terry"),
    "stoneware": ("gres", "stoneware"),
    "porcelain": ("porcellana", "porcelain"),
    "ceramic": ("ceramica", "ceramic"),
    "glass": ("vetro", "glass"),
    "crystal": ("cristallo", "crystal"),
    "wood": ("legno d'ulivo", "olive wood"),
    "bamboo": ("bambù", "bamboo"),
    "velvet": ("velluto", "velvet"),
    "brass": ("ottone", "brass"),
    "rattan": ("rattan", "rattan"),
    "wax": ("cera di soia", "soy wax"),
    "terracotta": ("terracotta", "terracotta"),
    "memory-foam": ("memory foam", "memory foam"),
    "latex": ("lattice", "latex"),
    "vinyl": ("vinile", "vinyl"),
    "pvc": ("PU e gomma", "PU and rubber"),
}

# Product lines (model names), invented.
LINES: tuple[str, ...] = (
    "Aria", "Vento", "Brezza", "Maestrale", "Scirocco", "Libeccio", "Grecale", "Dolomia", "Cervino",
    "Etna", "Tirreno", "Adria", "Ginestra", "Lavanda", "Ulivo", "Cipresso", "Corallo", "Ambra", "Perla",
    "Luna", "Stella", "Alba", "Aurora", "Fenice", "Lince", "Falco", "Astore", "Lupo", "Orso", "Vela",
    "Onda", "Riva", "Isola", "Sorgente", "Cascata", "Brenta", "Adige", "Piave", "Ticino", "Portofino",
    "Capri", "Murano", "Sila", "Gran Sasso", "Marmolada", "Levante", "Ponente", "Nebbia", "Rugiada",
    "Fiordaliso",
)  # fmt: skip

SEASONS: dict[str, tuple[str, str]] = {
    "autumn-winter": ("Collezione autunno-inverno.", "Autumn-winter collection."),
    "spring-summer": ("Collezione primavera-estate.", "Spring-summer collection."),
    "all-season": ("Per tutte le stagioni.", "For every season."),
}

GENDERS: dict[str, tuple[str, str]] = {
    "women": ("donna", "Women's"),
    "men": ("uomo", "Men's"),
    "unisex": ("unisex", "Unisex"),
}


@dataclass(frozen=True)
class Style:
    """A qualifier of a product type ("impermeabile"/"waterproof"), maybe fixing its material."""

    it: str
    en: str
    material: str | None = None

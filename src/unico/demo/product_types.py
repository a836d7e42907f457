"""The kinds of product the demo retailer sells, each with its names, sizes, colours and wording.

A product is one type x style x line (x gender): "Giacca impermeabile Dolomia donna" /
"Women's Dolomia waterproof jacket". Italian styles agree with the noun, so each type lists its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from unico.demo.vocabulary import Style as S


@dataclass(frozen=True)
class ProductType:
    code: str  # 3 letters, starts the product code
    noun_it: str
    noun_en: str
    categories: tuple[tuple[str | None, str], ...]  # (gender or None, leaf category code)
    styles: tuple[S, ...]
    sizes: str  # size run; "{g}" is replaced by the gender
    palette: str
    materials: tuple[str, ...]  # when the style does not fix one
    seasons: tuple[str, ...]
    features: tuple[tuple[str, str], ...]
    weight: int = 2  # how often the type is drawn
    max_colours: int = 3


def _gendered(women: str | None, men: str | None) -> tuple[tuple[str | None, str], ...]:
    pairs: list[tuple[str | None, str]] = []
    if women:
        pairs.append(("women", women))
    if men:
        pairs.append(("men", men))
    return tuple(pairs)


def _both(category: str) -> tuple[tuple[str | None, str], ...]:
    """Made for women and for men, shelved in the same category."""
    return _gendered(category, category)


FW = ("autumn-winter",)
SS = ("spring-summer",)
ALL = ("all-season",)
BOTH = ("autumn-winter", "spring-summer")

# fmt: off
# fmt: off
FASHION: tuple[ProductType, ...] = (
    ProductType(
        "ABI", "Abito", "dress", (("women", "fashion-women-dresses"),),
        (S("midi", "midi"), S("lungo", "maxi"), S("chemisier", "shirt"), S("in maglia", "knitted", "wool"),
         S("plissettato", "pleated"), S("in lino", "linen", "linen")),
        "apparel-{g}", "fashion", ("viscose", "cotton", "silk"), BOTH,
        (("Linea morbida che accompagna il movimento", "A soft line that moves with you"),
         ("Scollo a V e cintura in vita", "V-neck with a tie waist"),
         ("Fodera interna leggera", "Light inner lining")),
        weight=3,
    ),
    ProductType(
        "GON", "Gonna", "skirt", (("women", "fashion-women-dresses"),),
        (S("a pieghe", "pleated"), S("a tubino", "pencil"), S("in jeans", "denim", "denim"),
         S("midi", "midi")),
        "apparel-{g}", "fashion", ("viscose", "wool", "cotton"), BOTH,
        (("Vita alta con zip nascosta", "High waist with a concealed zip"),
         ("Lunghezza sotto il ginocchio", "Falls below the knee")),
    ),
    ProductType(
        "CAM", "Camicia", "shirt", _gendered("fashion-women-tops", "fashion-men-shirts"),
        (S("in lino", "linen", "linen"), S("Oxford", "Oxford", "cotton"), S("a righe", "striped"),
         S("slim fit", "slim-fit"), S("in popeline", "poplin", "cotton"),
         S("in flanella", "flannel", "flannel")),
        "apparel-{g}", "fashion", ("cotton",), BOTH,
        (("Collo classico e polsini con bottone", "Classic collar and buttoned cuffs"),
         ("Facile da stirare", "Easy to iron"), ("Vestibilità regolare", "Regular fit")),
        weight=4,
    ),
    ProductType(
        "BLU", "Blusa", "blouse", (("women", "fashion-women-tops"),),
        (S("in seta", "silk", "silk"), S("con volant", "ruffled"), S("in georgette", "georgette", "viscose")),
        "apparel-{g}", "fashion", ("viscose", "silk"), SS,
        (("Maniche a tre quarti", "Three-quarter sleeves"),
         ("Tessuto fluido e leggero", "Light, fluid fabric")),
    ),
    ProductType(
        "CPT", "Cappotto", "coat", _gendered("fashion-women-outerwear", "fashion-men-outerwear"),
        (S("in lana", "wool", "wool"), S("doppiopetto", "double-breasted"), S("lungo", "long"),
         S("in cashmere", "cashmere", "cashmere")),
        "apparel-{g}", "fashion", ("wool",), FW,
        (("Taglio sartoriale con revers", "Tailored cut with lapels"),
         ("Tasche a filetto e fodera interna", "Welt pockets and full lining")),
        weight=3,
    ),
    ProductType(
        "GIA", "Giacca", "jacket", _gendered("fashion-women-outerwear", "fashion-men-outerwear"),
        (S("in pelle", "leather", "leather"), S("di jeans", "denim", "denim"), S("imbottita", "padded"),
         S("trapuntata", "quilted"), S("sfoderata", "unlined")),
        "apparel-{g}", "fashion", ("cotton", "nylon"), BOTH,
        (("Chiusura con zip e bottoni a pressione", "Zip and press-stud fastening"),
         ("Due tasche frontali", "Two front pockets")),
        weight=3,
    ),
    ProductType(
        "PIU", "Piumino", "down jacket", _gendered("fashion-women-outerwear", "fashion-men-outerwear"),
        (S("leggero", "lightweight"), S("lungo", "long"), S("smanicato", "sleeveless"),
         S("con cappuccio", "hooded")),
        "apparel-{g}", "fashion", ("down",), FW,
        (("Imbottitura in piuma certificata", "Certified down filling"),
         ("Si ripone nella sua tasca", "Packs into its own pocket")),
        weight=3,
    ),
    ProductType(
        "MAG", "Maglione", "jumper", _gendered("fashion-women-knitwear", "fashion-men-knitwear"),
        (S("girocollo", "crew-neck"), S("a collo alto", "roll-neck"),
         S("in cashmere", "cashmere", "cashmere"), S("a trecce", "cable-knit"),
         S("in lana merino", "merino", "merino")),
        "apparel-{g}", "fashion", ("wool", "merino"), FW,
        (("Maglia morbida che non pizzica", "Soft knit that does not itch"),
         ("Polsi e fondo a coste", "Ribbed cuffs and hem")),
        weight=4,
    ),
    ProductType(
        "CAR", "Cardigan", "cardigan", _gendered("fashion-women-knitwear", "fashion-men-knitwear"),
        (S("in lana merino", "merino wool", "merino"), S("lungo", "long"), S("a coste", "ribbed")),
        "apparel-{g}", "fashion", ("wool", "cotton"), FW,
        (("Bottoni in corno", "Horn buttons"), ("Due tasche applicate", "Two patch pockets")),
    ),
    ProductType(
        "FEL", "Felpa", "sweatshirt", _gendered("fashion-women-knitwear", "fashion-men-knitwear"),
        (S("con cappuccio", "hooded"), S("girocollo", "crew-neck"), S("con zip", "zip-up"),
         S("in cotone biologico", "organic cotton", "organic-cotton")),
        "apparel-{g}", "fashion", ("cotton",), ALL,
        (("Interno garzato caldo e morbido", "Warm brushed inside"), ("Tasca a marsupio", "Kangaroo pocket")),
        weight=3,
    ),
    ProductType(
        "PAN", "Pantaloni", "trousers", _gendered("fashion-women-trousers", "fashion-men-trousers"),
        (S("chino", "chino", "cotton"), S("cargo", "cargo"), S("in velluto", "corduroy", "velvet"),
         S("sartoriali", "tailored", "wool"), S("in lino", "linen", "linen")),
        "apparel-{g}", "fashion", ("cotton",), BOTH,
        (("Vita regolare con passanti per cintura", "Regular waist with belt loops"),
         ("Gamba dritta", "Straight leg")),
        weight=4,
    ),
    ProductType(
        "JEA", "Jeans", "jeans", _gendered("fashion-women-trousers", "fashion-men-trousers"),
        (S("slim", "slim"), S("regular", "regular-fit"), S("a zampa", "flared"), S("skinny", "skinny"),
         S("straight", "straight-leg")),
        "apparel-{g}", "denim", ("denim",), ALL,
        (("Cinque tasche", "Five pockets"), ("Denim elasticizzato", "Stretch denim"),
         ("Lavaggio a basso impatto d'acqua", "Low-water wash")),
        weight=4,
    ),
    ProductType(
        "TSH", "T-shirt", "T-shirt", _gendered("fashion-women-tops", "fashion-men-shirts"),
        (S("in cotone biologico", "organic cotton", "organic-cotton"), S("a righe", "striped"),
         S("girocollo", "crew-neck"), S("con scollo a V", "V-neck"), S("oversize", "oversized")),
        "apparel-{g}", "fashion", ("cotton",), SS,
        (("Jersey di cotone compatto", "Compact cotton jersey"),
         ("Non si deforma dopo il lavaggio", "Keeps its shape after washing")),
        weight=4,
    ),
    ProductType(
        "POL", "Polo", "polo shirt", (("men", "fashion-men-shirts"),),
        (S("in piquet", "piqué", "cotton"), S("a maniche lunghe", "long-sleeved"), S("slim fit", "slim-fit")),
        "apparel-{g}", "fashion", ("cotton",), SS,
        (("Collo e polsini a costina", "Ribbed collar and cuffs"), ("Spacchetti laterali", "Side vents")),
        weight=3,
    ),
    ProductType(
        "SNE", "Sneaker", "trainers", _gendered("fashion-women-shoes", "fashion-men-shoes"),
        (S("in pelle", "leather", "leather"), S("in tela", "canvas", "canvas"), S("retrò", "retro"),
         S("slip-on", "slip-on")),
        "shoes-{g}", "leather", ("leather", "suede"), ALL,
        (("Suola in gomma cucita", "Stitched rubber sole"),
         ("Soletta estraibile imbottita", "Removable padded insole")),
        weight=4, max_colours=2,
    ),
    ProductType(
        "STI", "Stivaletto", "ankle boot", _gendered("fashion-women-shoes", "fashion-men-shoes"),
        (S("in pelle", "leather", "leather"), S("chelsea", "Chelsea"), S("in camoscio", "suede", "suede")),
        "shoes-{g}", "leather", ("leather",), FW,
        (("Elastici laterali", "Elastic side panels"), ("Suola antiscivolo", "Non-slip sole")),
        weight=3, max_colours=2,
    ),
    ProductType(
        "MOC", "Mocassino", "loafer", _gendered("fashion-women-shoes", "fashion-men-shoes"),
        (S("in camoscio", "suede", "suede"), S("in pelle", "leather", "leather"), S("con nappine", "tassel")),
        "shoes-{g}", "leather", ("leather",), SS,
        (("Cucito a mano", "Hand-stitched"), ("Fodera in pelle", "Leather lining")),
        max_colours=2,
    ),
    ProductType(
        "DEC", "Décolleté", "court shoe", (("women", "fashion-women-shoes"),),
        (S("con tacco a spillo", "stiletto"), S("in vernice", "patent", "leather"),
         S("slingback", "slingback")),
        "shoes-{g}", "leather", ("leather",), ALL,
        (("Tacco da 8 cm", "8 cm heel"), ("Punta affusolata", "Pointed toe")),
        max_colours=2,
    ),
    ProductType(
        "BOR", "Borsa", "bag", ((None, "fashion-accessories-bags"),),
        (S("a tracolla", "crossbody"), S("a mano", "top-handle"), S("a secchiello", "bucket"),
         S("shopper", "tote")),
        "one", "leather", ("leather", "canvas"), ALL,
        (("Tasca interna con zip", "Inner zip pocket"),
         ("Tracolla regolabile e staccabile", "Adjustable, detachable strap")),
        weight=3,
    ),
    ProductType(
        "ZAC", "Zaino", "backpack", ((None, "fashion-accessories-bags"),),
        (S("in pelle", "leather", "leather"), S("urbano", "city"), S("porta PC", "laptop")),
        "one", "leather", ("canvas", "nylon"), ALL,
        (("Scomparto imbottito per PC da 15 pollici", "Padded sleeve for a 15-inch laptop"),
         ("Spallacci regolabili", "Adjustable shoulder straps")),
    ),
    ProductType(
        "CIN", "Cintura", "belt", _both("fashion-accessories-small"),
        (S("in pelle", "leather", "leather"), S("intrecciata", "braided"),
         S("reversibile", "reversible", "leather")),
        "belt", "leather", ("leather",), ALL,
        (("Fibbia in metallo spazzolato", "Brushed metal buckle"),),
        max_colours=2,
    ),
    ProductType(
        "SCI", "Sciarpa", "scarf", ((None, "fashion-accessories-small"),),
        (S("in lana", "wool", "wool"), S("in cashmere", "cashmere", "cashmere"), S("a quadri", "check")),
        "one", "fashion", ("wool",), FW,
        (("Frange sulle estremità", "Fringed ends"), ("Tessuta in Italia", "Woven in Italy")),
    ),
    ProductType(
        "BER", "Berretto", "beanie", ((None, "fashion-accessories-small"),),
        (S("a coste", "ribbed"), S("con pompon", "bobble"), S("in lana merino", "merino", "merino")),
        "one", "fashion", ("wool",), FW,
        (("Risvolto regolabile", "Turn-up cuff"),),
    ),
)

SPORT: tuple[ProductType, ...] = (
    ProductType(
        "RUN", "Scarpa da corsa", "running shoe", _both("sport-running-shoes"),
        (S("trail", "trail"), S("ammortizzata", "cushioned"), S("da gara", "racing"),
         S("antipronazione", "stability")),
        "shoes-{g}", "sport", ("mesh",), ALL,
        (("Intersuola reattiva in schiuma leggera", "Responsive lightweight foam midsole"),
         ("Tomaia traspirante", "Breathable upper"),
         ("Battistrada con tasselli per lo sterrato", "Lugged outsole for dirt trails")),
        weight=5, max_colours=2,
    ),
    ProductType(
        "RMA", "Maglia da corsa", "running top", _both("sport-running-apparel"),
        (S("traspirante", "breathable"), S("a maniche lunghe", "long-sleeved"), S("termica", "thermal")),
        "apparel-{g}", "sport", ("polyester",), ALL,
        (("Asciugatura rapida", "Quick-drying"), ("Inserti riflettenti", "Reflective details")),
        weight=3,
    ),
    ProductType(
        "RPA", "Pantaloncini da corsa", "running shorts", _both("sport-running-apparel"),
        (S("leggeri", "lightweight"), S("2 in 1", "2-in-1"), S("a compressione", "compression")),
        "apparel-{g}", "sport", ("polyester",), SS,
        (("Slip interno traspirante", "Breathable inner brief"),
         ("Tasca posteriore con zip", "Zipped back pocket")),
    ),
    ProductType(
        "RLE", "Leggings da corsa", "running tights", _both("sport-running-apparel"),
        (S("termici", "thermal"), S("a compressione", "compression"), S("3/4", "three-quarter")),
        "apparel-{g}", "sport", ("polyester",), FW,
        (("Vita alta con coulisse", "High waist with drawcord"),
         ("Cuciture piatte anti-sfregamento", "Flat seams against chafing")),
    ),
    ProductType(
        "RGI", "Giacca da corsa", "running jacket", _both("sport-running-apparel"),
        (S("antivento", "windproof"), S("riflettente", "reflective"),
         S("impermeabile", "waterproof", "goretex")),
        "apparel-{g}", "sport", ("nylon",), ALL,
        (("Si ripiega in tasca", "Packs into a pocket"), ("Cappuccio regolabile", "Adjustable hood")),
    ),
    ProductType(
        "OGI", "Giacca", "jacket", _both("sport-outdoor-apparel"),
        (S("impermeabile", "waterproof", "goretex"), S("softshell", "softshell", "polyester"),
         S("in pile", "fleece", "fleece"), S("3 in 1", "3-in-1")),
        "apparel-{g}", "outdoor", ("nylon",), FW,
        (("Cuciture nastrate", "Taped seams"),
         ("Cappuccio compatibile con il casco", "Helmet-compatible hood"),
         ("Aperture di ventilazione sotto le ascelle", "Underarm vents")),
        weight=4,
    ),
    ProductType(
        "OPI", "Pile", "fleece", _both("sport-outdoor-apparel"),
        (S("leggero", "lightweight"), S("con zip intera", "full-zip"), S("con mezza zip", "half-zip")),
        "apparel-{g}", "outdoor", ("fleece",), FW,
        (("Caldo anche quando è umido", "Warm even when damp"), ("Tasche scaldamani", "Hand-warmer pockets")),
        weight=3,
    ),
    ProductType(
        "OPA", "Pantaloni da trekking", "hiking trousers", _both("sport-outdoor-apparel"),
        (S("convertibili", "convertible"), S("elasticizzati", "stretch"), S("invernali", "winter")),
        "apparel-{g}", "outdoor", ("nylon",), ALL,
        (("Ginocchia preformate", "Articulated knees"), ("Tessuto idrorepellente", "Water-repellent fabric")),
        weight=3,
    ),
    ProductType(
        "OSC", "Scarpone da trekking", "hiking boot", _both("sport-outdoor-footwear"),
        (S("impermeabile", "waterproof", "goretex"), S("in pelle", "leather", "leather"),
         S("leggero", "lightweight")),
        "shoes-{g}", "outdoor", ("suede",), ALL,
        (("Suola scolpita ad alta aderenza", "High-grip lugged sole"),
         ("Puntale protettivo in gomma", "Rubber toe cap")),
        weight=3, max_colours=2,
    ),
    ProductType(
        "OSH", "Scarpa da trekking", "hiking shoe", _both("sport-outdoor-footwear"),
        (S("bassa", "low-cut"), S("da avvicinamento", "approach"),
         S("impermeabile", "waterproof", "goretex")),
        "shoes-{g}", "outdoor", ("mesh", "suede"), ALL,
        (("Allacciatura rapida", "Quick lacing"), ("Intersuola ammortizzata", "Cushioned midsole")),
        max_colours=2,
    ),
    ProductType(
        "OZA", "Zaino da trekking", "hiking backpack", ((None, "sport-outdoor-gear"),),
        (S("leggero", "lightweight"), S("con schienale ventilato", "ventilated"), S("da giornata", "day")),
        "backpack", "outdoor", ("nylon",), ALL,
        (("Coprizaino antipioggia incluso", "Rain cover included"),
         ("Cintura lombare imbottita", "Padded hip belt")),
        weight=3, max_colours=2,
    ),
    ProductType(
        "OTE", "Tenda", "tent", ((None, "sport-outdoor-gear"),),
        (S("da campeggio 2 posti", "2-person camping"), S("3 posti", "3-person"),
         S("ultraleggera", "ultralight")),
        "one-home", "outdoor", ("nylon",), SS,
        (("Montaggio in cinque minuti", "Pitches in five minutes"),
         ("Doppio telo e abside", "Double wall with porch")),
        max_colours=1,
    ),
    ProductType(
        "OSA", "Sacco a pelo", "sleeping bag", ((None, "sport-outdoor-gear"),),
        (S("in piuma", "down", "down"), S("sintetico", "synthetic", "polyester"), S("estivo", "summer")),
        "one-home", "outdoor", ("polyester",), ALL,
        (("Temperatura comfort indicata in etichetta", "Comfort temperature on the label"),
         ("Sacca di compressione", "Compression sack")),
        max_colours=2,
    ),
    ProductType(
        "OBA", "Bastoncini da trekking", "trekking poles", ((None, "sport-outdoor-gear"),),
        (S("in carbonio", "carbon", "carbon"), S("telescopici", "telescopic", "aluminium"),
         S("pieghevoli", "folding")),
        "one-home", "outdoor", ("aluminium",), ALL,
        (("Impugnatura in sughero", "Cork grip"), ("Venduti in coppia", "Sold as a pair")),
        max_colours=1,
    ),
    ProductType(
        "FTO", "Top sportivo", "sports bra", (("women", "sport-fitness-apparel"),),
        (S("a sostegno medio", "medium-support"), S("a sostegno elevato", "high-support"),
         S("incrociato", "cross-back")),
        "apparel-{g}", "sport", ("polyester",), ALL,
        (("Coppe removibili", "Removable pads"), ("Tessuto che asciuga in fretta", "Fast-drying fabric")),
        weight=3,
    ),
    ProductType(
        "FLE", "Leggings", "leggings", (("women", "sport-fitness-apparel"),),
        (S("a vita alta", "high-waisted"), S("senza cuciture", "seamless"), S("7/8", "7/8-length")),
        "apparel-{g}", "sport", ("polyester",), ALL,
        (("Non trasparenti in ogni posizione", "Squat-proof"), ("Taschino in vita", "Waistband pocket")),
        weight=3,
    ),
    ProductType(
        "FTS", "T-shirt tecnica", "training T-shirt", _both("sport-fitness-apparel"),
        (S("traspirante", "breathable"), S("oversize", "oversized"), S("senza maniche", "sleeveless")),
        "apparel-{g}", "sport", ("polyester",), ALL,
        (("Trattamento anti-odore", "Anti-odour finish"),
         ("Pannelli in rete sulla schiena", "Mesh back panels")),
        weight=3,
    ),
    ProductType(
        "YOG", "Tappetino yoga", "yoga mat", ((None, "sport-fitness-equipment"),),
        (S("antiscivolo", "non-slip", "rubber"), S("in sughero", "cork", "cork"), S("da viaggio", "travel"),
         S("spesso", "extra-thick")),
        "one-home", "sport", ("rubber",), ALL,
        (("Superficie che tiene anche con le mani sudate", "Grips even with sweaty hands"),
         ("Cinghia per il trasporto inclusa", "Carry strap included")),
        weight=3,
    ),
    ProductType(
        "MAN", "Manubri", "dumbbells", ((None, "sport-fitness-equipment"),),
        (S("in neoprene", "neoprene", "neoprene"), S("esagonali", "hex", "cast-iron")),
        "dumbbell", "sport", ("cast-iron",), ALL,
        (("Venduti in coppia", "Sold as a pair"), ("Impugnatura ergonomica", "Ergonomic grip")),
        max_colours=1,
    ),
    ProductType(
        "KET", "Kettlebell", "kettlebell", ((None, "sport-fitness-equipment"),),
        (S("in ghisa", "cast-iron", "cast-iron"), S("in vinile", "vinyl", "vinyl")),
        "kettlebell", "sport", ("cast-iron",), ALL,
        (("Base piatta stabile", "Flat, stable base"),),
        max_colours=1,
    ),
    ProductType(
        "ELA", "Elastici fitness", "resistance bands", ((None, "sport-fitness-equipment"),),
        (S("in tessuto", "fabric", "cotton"), S("in lattice", "latex", "latex")),
        "one-home", "sport", ("latex",), ALL,
        (("Tre livelli di resistenza", "Three resistance levels"), ("Sacchetto incluso", "Pouch included")),
    ),
    ProductType(
        "CMA", "Maglia da ciclismo", "cycling jersey", _both("sport-cycling"),
        (S("a maniche corte", "short-sleeved"), S("a maniche lunghe", "long-sleeved"), S("aero", "aero")),
        "apparel-{g}", "sport", ("polyester",), ALL,
        (("Tre tasche posteriori", "Three rear pockets"), ("Zip intera", "Full-length zip")),
        weight=3,
    ),
    ProductType(
        "CSA", "Salopette da ciclismo", "cycling bib shorts", _both("sport-cycling"),
        (S("con fondello", "padded"), S("invernale", "winter"), S("leggera", "lightweight")),
        "apparel-{g}", "sport", ("polyester",), ALL,
        (("Fondello per le lunghe distanze", "Chamois for long rides"), ("Bretelle in rete", "Mesh braces")),
        max_colours=2,
    ),
    ProductType(
        "CCA", "Casco da bici", "bike helmet", (("unisex", "sport-cycling"),),
        (S("da strada", "road"), S("da città", "city"), S("MTB", "MTB")),
        "helmet", "sport", ("polyester",), ALL,
        (("Sistema di regolazione a rotella", "Dial fit system"),
         ("Luce posteriore integrata", "Integrated rear light")),
        max_colours=2,
    ),
    ProductType(
        "CGU", "Guanti da ciclismo", "cycling gloves", (("unisex", "sport-cycling"),),
        (S("estivi", "summer"), S("invernali", "winter"), S("con gel", "gel-padded")),
        "gloves", "sport", ("polyester",), ALL,
        (("Palmo imbottito", "Padded palm"), ("Compatibili con lo smartphone", "Touchscreen-compatible")),
        max_colours=2,
    ),
    ProductType(
        "NCO", "Costume da nuoto", "swimsuit", _both("sport-water"),
        (S("da allenamento", "training"), S("resistente al cloro", "chlorine-resistant"),
         S("da gara", "racing")),
        "apparel-{g}", "sport", ("polyester",), SS,
        (("Tessuto che non sbiadisce", "Fade-resistant fabric"), ("Asciuga in fretta", "Dries quickly")),
        weight=3,
    ),
    ProductType(
        "NOC", "Occhialini da nuoto", "swimming goggles", ((None, "sport-water"),),
        (S("antiappannamento", "anti-fog"), S("a specchio", "mirrored"), S("da gara", "racing")),
        "one", "sport", ("pvc",), ALL,
        (("Protezione UV", "UV protection"), ("Cinturino regolabile", "Adjustable strap")),
        max_colours=2,
    ),
    ProductType(
        "PCA", "Pallone da calcio", "football", ((None, "sport-team"),),
        (S("da allenamento", "training"), S("da partita", "match"), S("da calcetto", "futsal")),
        "ball", "sport", ("pvc",), ALL,
        (("Cuciture termosaldate", "Thermo-bonded panels"),),
        max_colours=1,
    ),
    ProductType(
        "PVO", "Pallone da pallavolo", "volleyball", ((None, "sport-team"),),
        (S("da spiaggia", "beach"), S("da palestra", "indoor")),
        "one-home", "sport", ("pvc",), ALL,
        (("Tocco morbido", "Soft touch"),),
        max_colours=2,
    ),
    ProductType(
        "SCA", "Scarpa da calcio", "football boot", (("unisex", "sport-team"),),
        (S("per terreni duri", "firm-ground"), S("per erba sintetica", "artificial-grass"),
         S("da calcetto", "futsal")),
        "shoes-{g}", "sport", ("mesh",), ALL,
        (("Tomaia sottile per un tocco preciso", "Thin upper for a precise touch"),),
        weight=3, max_colours=2,
    ),
    ProductType(
        "RAC", "Racchetta da padel", "padel racket", ((None, "sport-team"),),
        (S("in carbonio", "carbon", "carbon"), S("a goccia", "teardrop"), S("rotonda", "round")),
        "one-home", "sport", ("carbon",), ALL,
        (("Nucleo in EVA morbida", "Soft EVA core"), ("Fodero incluso", "Cover included")),
        weight=3, max_colours=1,
    ),
)

HOME: tuple[ProductType, ...] = (
    ProductType(
        "LEN", "Set lenzuola", "bed sheet set", ((None, "home-bedroom"),),
        (S("in cotone", "cotton", "cotton"), S("in percalle", "percale", "percale"),
         S("in lino", "linen", "linen"), S("in flanella", "flannel", "flannel"),
         S("in raso di cotone", "cotton sateen", "sateen")),
        "bed", "home", ("cotton",), ALL,
        (("Lenzuolo sotto con angoli elastici", "Fitted sheet with elastic corners"),
         ("Federe incluse", "Pillowcases included"), ("Lavabile a 60 gradi", "Washable at 60 degrees")),
        weight=5,
    ),
    ProductType(
        "COP", "Copripiumino", "duvet cover", ((None, "home-bedroom"),),
        (S("in cotone", "cotton", "cotton"), S("in lino lavato", "washed linen", "linen"),
         S("a righe", "striped")),
        "bed", "home", ("cotton",), ALL,
        (("Chiusura con bottoni", "Button closure"), ("Tessuto in Italia", "Woven in Italy")),
        weight=3,
    ),
    ProductType(
        "TRA", "Trapunta", "quilt", ((None, "home-bedroom"),),
        (S("invernale", "winter"), S("quattro stagioni", "all-season"), S("leggera", "lightweight")),
        "bed", "home", ("cotton", "down"), FW,
        (("Trapuntatura a quadri che tiene ferma l'imbottitura", "Box stitching holds the filling"),),
        weight=3,
    ),
    ProductType(
        "GUA", "Guanciale", "pillow", ((None, "home-bedroom"),),
        (S("in memory foam", "memory foam", "memory-foam"), S("in piuma d'oca", "goose down", "down"),
         S("anallergico", "hypoallergenic")),
        "one-home", "home", ("cotton",), ALL,
        (("Federa sfoderabile e lavabile", "Removable, washable cover"),
         ("Misura 50x80 cm", "Size 50x80 cm")),
        max_colours=1,
    ),
    ProductType(
        "PLA", "Plaid", "throw", ((None, "home-decor"),),
        (S("in lana", "wool", "wool"), S("in pile", "fleece", "fleece"), S("a maglia grossa", "chunky-knit")),
        "one-home", "home", ("wool",), FW,
        (("Misura 130x170 cm", "Size 130x170 cm"), ("Morbido al tatto", "Soft to the touch")),
    ),
    ProductType(
        "ASC", "Set asciugamani", "towel set", ((None, "home-bath"),),
        (S("in spugna", "terry", "terry"), S("in cotone egiziano", "Egyptian cotton", "cotton"),
         S("a nido d'ape", "waffle", "cotton")),
        "one-home", "home", ("terry",), ALL,
        (("Un telo bagno, un asciugamano e un ospite", "One bath towel, one hand towel, one guest towel"),
         ("Molto assorbente", "Highly absorbent")),
        weight=4,
    ),
    ProductType(
        "ACP", "Accappatoio", "bathrobe", (("unisex", "home-bath"),),
        (S("in spugna", "terry", "terry"), S("a nido d'ape", "waffle", "cotton"),
         S("con cappuccio", "hooded")),
        "apparel-{g}", "home", ("terry",), ALL,
        (("Cintura in vita e due tasche", "Tie belt and two pockets"),),
        weight=3, max_colours=2,
    ),
    ProductType(
        "TAB", "Tappeto bagno", "bath mat", ((None, "home-bath"),),
        (S("in cotone", "cotton", "cotton"), S("in memory foam", "memory foam", "memory-foam")),
        "one-home", "home", ("cotton",), ALL,
        (("Fondo antiscivolo", "Non-slip backing"),),
    ),
    ProductType(
        "PAD", "Padella", "frying pan", ((None, "home-kitchen"),),
        (S("antiaderente", "non-stick", "aluminium"), S("in ghisa", "cast-iron", "cast-iron"),
         S("in acciaio inox", "stainless steel", "steel")),
        "pan", "kitchen", ("aluminium",), ALL,
        (("Adatta all'induzione", "Induction-ready"), ("Manico che resta freddo", "Stay-cool handle")),
        weight=3, max_colours=2,
    ),
    ProductType(
        "CAS", "Casseruola", "saucepan", ((None, "home-kitchen"),),
        (S("in acciaio inox", "stainless steel", "steel"), S("in rame", "copper", "copper"),
         S("antiaderente", "non-stick", "aluminium")),
        "pot", "kitchen", ("steel",), ALL,
        (("Coperchio in vetro incluso", "Glass lid included"),
         ("Fondo a triplo strato", "Triple-layer base")),
        max_colours=1,
    ),
    ProductType(
        "MOK", "Caffettiera moka", "stovetop espresso maker", ((None, "home-kitchen"),),
        (S("in alluminio", "aluminium", "aluminium"), S("in acciaio", "steel", "steel"),
         S("per induzione", "induction")),
        "moka", "kitchen", ("aluminium",), ALL,
        (("Valvola di sicurezza", "Safety valve"),
         ("Guarnizione di ricambio inclusa", "Spare gasket included")),
        max_colours=2,
    ),
    ProductType(
        "COL", "Coltello", "knife", ((None, "home-kitchen"),),
        (S("da chef", "chef's"), S("da pane", "bread"), S("santoku", "santoku")),
        "one-home", "kitchen", ("steel",), ALL,
        (("Lama forgiata", "Forged blade"), ("Manico in legno d'ulivo", "Olive-wood handle")),
        max_colours=1,
    ),
    ProductType(
        "TAG", "Tagliere", "chopping board", ((None, "home-kitchen"),),
        (S("in legno d'ulivo", "olive wood", "wood"), S("in bambù", "bamboo", "bamboo")),
        "one-home", "natural", ("wood",), ALL,
        (("Da lavare a mano", "Hand wash only"),),
        max_colours=1,
    ),
    ProductType(
        "PIA", "Set piatti", "dinner set", ((None, "home-table"),),
        (S("in gres", "stoneware", "stoneware"), S("in porcellana", "porcelain", "porcelain"),
         S("in ceramica dipinta", "hand-painted ceramic", "ceramic")),
        "one-home", "decor", ("stoneware",), ALL,
        (("Diciotto pezzi per sei persone", "Eighteen pieces for six"),
         ("Adatto a lavastoviglie e microonde", "Dishwasher and microwave safe")),
        weight=3,
    ),
    ProductType(
        "BIC", "Set bicchieri", "glass set", ((None, "home-table"),),
        (S("in vetro soffiato", "hand-blown", "glass"), S("in cristallo", "crystal", "crystal"),
         S("colorati", "coloured", "glass")),
        "one-home", "decor", ("glass",), ALL,
        (("Sei pezzi", "Six pieces"),),
    ),
    ProductType(
        "TOV", "Tovaglia", "tablecloth", ((None, "home-table"),),
        (S("in lino", "linen", "linen"), S("antimacchia", "stain-resistant"),
         S("a quadri", "gingham", "cotton")),
        "tablecloth", "home", ("cotton",), ALL,
        (("Orlo a giorno", "Hemstitched edge"),
         ("Tovaglioli coordinati disponibili", "Matching napkins available")),
        weight=3,
    ),
    ProductType(
        "CUS", "Cuscino decorativo", "decorative cushion", ((None, "home-decor"),),
        (S("in velluto", "velvet", "velvet"), S("in lino", "linen", "linen"), S("ricamato", "embroidered")),
        "one-home", "home", ("cotton",), ALL,
        (("Misura 45x45 cm, imbottitura inclusa", "45x45 cm, filling included"),),
        weight=3,
    ),
    ProductType(
        "CND", "Candela profumata", "scented candle", ((None, "home-decor"),),
        (S("al fico", "fig"), S("alla lavanda", "lavender"), S("agli agrumi", "citrus"),
         S("al sandalo", "sandalwood")),
        "one-home", "decor", ("wax",), ALL,
        (("Quaranta ore di durata", "Forty hours of burn time"),
         ("Vasetto in vetro riutilizzabile", "Reusable glass jar")),
        max_colours=1,
    ),
    ProductType(
        "VAS", "Vaso", "vase", ((None, "home-decor"),),
        (S("in ceramica", "ceramic", "ceramic"), S("in vetro", "glass", "glass"),
         S("in terracotta", "terracotta", "terracotta")),
        "vase", "decor", ("ceramic",), ALL,
        (("Fatto a mano", "Handmade"),),
        max_colours=2,
    ),
    ProductType(
        "LAM", "Lampada da tavolo", "table lamp", ((None, "home-decor"),),
        (S("in ottone", "brass", "brass"), S("in ceramica", "ceramic", "ceramic"),
         S("in rattan", "rattan", "rattan")),
        "one-home", "decor", ("brass",), ALL,
        (("Attacco E27, lampadina non inclusa", "E27 fitting, bulb not included"),
         ("Paralume in lino", "Linen shade")),
        max_colours=2,
    ),
)

# fmt: on

PRODUCT_TYPES: tuple[ProductType, ...] = FASHION + SPORT + HOME

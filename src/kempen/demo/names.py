"""Reference data for the demo: countries with their cities, time zones, languages, phones, names and prices.

Phone prefixes were chosen so that every number built from them is valid for its country in `phonenumbers`
(tests/demo checks a sample); `digits` is how many subscriber digits follow the prefix.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class CountrySpec:
    """Everything the generator needs to make a plausible contact from one country."""

    code: str
    weight: float
    cities: tuple[tuple[str, str], ...]  # (city, IANA time zone)
    languages: tuple[tuple[str, float], ...]
    phone_prefixes: tuple[str, ...]
    phone_digits: int
    currency: str
    # Local price of one US dollar's worth of goods, and the unit prices are rounded to.
    price_factor: float
    price_step: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTRIES: tuple[CountrySpec, ...] = (
    CountrySpec(
        "MY", 0.14,
        (("Kuala Lumpur", "Asia/Kuala_Lumpur"), ("Petaling Jaya", "Asia/Kuala_Lumpur"), ("Penang", "Asia/Kuala_Lumpur"),
         ("Johor Bahru", "Asia/Kuala_Lumpur"), ("Kota Kinabalu", "Asia/Kuching"), ("Kuching", "Asia/Kuching")),
        (("ms", 0.5), ("en", 0.3), ("zh", 0.2)), ("+6012", "+6016", "+6019"), 7, "MYR", 4.5, 0.1,
        _split("Aisyah Ahmad Nurul Hafiz Siti Amirul Mei Ling Wei Jie Priya Farah Irfan Zulkifli Hui Min Arjun"),
        _split("Abdullah Rahman Tan Lim Wong Ismail Hassan Lee Chong Ibrahim Yusof Ng Subramaniam Omar"),
    ),
    CountrySpec(
        "ID", 0.12,
        (("Jakarta", "Asia/Jakarta"), ("Surabaya", "Asia/Jakarta"), ("Bandung", "Asia/Jakarta"),
         ("Medan", "Asia/Jakarta"), ("Makassar", "Asia/Makassar"), ("Denpasar", "Asia/Makassar")),
        (("id", 0.9), ("en", 0.1)), ("+62812", "+62813", "+62821", "+62857"), 8, "IDR", 15500.0, 1000.0,
        _split("Budi Siti Agus Dewi Rizky Putri Andi Ayu Fajar Indah Wahyu Ratna Eko Sri Dimas"),
        _split("Santoso Wijaya Saputra Hidayat Kurniawan Pratama Setiawan Nugroho Lestari Susanto Halim Gunawan"),
    ),
    CountrySpec(
        "IN", 0.12,
        (("Mumbai", "Asia/Kolkata"), ("Bengaluru", "Asia/Kolkata"), ("Delhi", "Asia/Kolkata"),
         ("Chennai", "Asia/Kolkata"), ("Hyderabad", "Asia/Kolkata"), ("Pune", "Asia/Kolkata")),
        (("en", 0.6), ("hi", 0.3), ("ta", 0.1)), ("+9198", "+9199", "+9197", "+9190"), 8, "INR", 83.0, 1.0,
        _split("Aarav Ananya Vihaan Diya Arjun Isha Rohan Kavya Aditya Priya Rahul Sneha Karthik Meera"),
        _split("Sharma Patel Iyer Reddy Gupta Singh Nair Das Mehta Rao Kumar Joshi Menon Banerjee"),
    ),
    CountrySpec(
        "US", 0.12,
        (("New York", "America/New_York"), ("Boston", "America/New_York"), ("Chicago", "America/Chicago"),
         ("Austin", "America/Chicago"), ("Denver", "America/Denver"), ("Seattle", "America/Los_Angeles"),
         ("San Francisco", "America/Los_Angeles")),
        (("en", 0.88), ("es", 0.12)), ("+1212", "+1415", "+1312", "+1617", "+1206", "+1512"), 7, "USD", 1.0, 0.01,
        _split("James Olivia Liam Emma Noah Ava Ethan Sophia Mason Mia Lucas Harper Daniel Chloe Jacob"),
        _split("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson Taylor"),
    ),
    CountrySpec(
        "GB", 0.07,
        (("London", "Europe/London"), ("Manchester", "Europe/London"), ("Birmingham", "Europe/London"),
         ("Leeds", "Europe/London"), ("Glasgow", "Europe/London"), ("Bristol", "Europe/London")),
        (("en", 1.0),), ("+447400", "+447812"), 6, "GBP", 0.8, 0.01,
        _split("Oliver Amelia George Isla Harry Ava Jack Poppy Charlie Freya Alfie Grace Thomas Evie"),
        _split("Smith Jones Taylor Brown Williams Wilson Evans Thomas Roberts Walker Wright Hughes Clarke"),
    ),
    CountrySpec(
        "DE", 0.08,
        (("Berlin", "Europe/Berlin"), ("Hamburg", "Europe/Berlin"), ("München", "Europe/Berlin"),
         ("Köln", "Europe/Berlin"), ("Frankfurt am Main", "Europe/Berlin"), ("Leipzig", "Europe/Berlin")),
        (("de", 0.92), ("en", 0.08)), ("+49151", "+49160", "+49170", "+49176"), 8, "EUR", 0.92, 0.01,
        _split("Lukas Mia Jonas Emma Leon Hannah Finn Sophie Paul Lea Felix Marie Jürgen Anna Maximilian"),
        _split("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Schäfer Bauer"),
    ),
    CountrySpec(
        "BR", 0.09,
        (("São Paulo", "America/Sao_Paulo"), ("Rio de Janeiro", "America/Sao_Paulo"),
         ("Belo Horizonte", "America/Sao_Paulo"), ("Curitiba", "America/Sao_Paulo"), ("Recife", "America/Recife"),
         ("Manaus", "America/Manaus")),
        (("pt-BR", 1.0),), ("+55119", "+55219", "+55319"), 8, "BRL", 5.0, 0.1,
        _split("João Maria Pedro Ana Lucas Júlia Gabriel Beatriz Rafael Larissa Matheus Camila Thiago Fernanda"),
        _split("Silva Santos Oliveira Souza Pereira Costa Rodrigues Almeida Nascimento Lima Araújo Ferreira"),
    ),
    CountrySpec(
        "NG", 0.08,
        (("Lagos", "Africa/Lagos"), ("Abuja", "Africa/Lagos"), ("Ibadan", "Africa/Lagos"),
         ("Port Harcourt", "Africa/Lagos"), ("Kano", "Africa/Lagos"), ("Enugu", "Africa/Lagos")),
        (("en", 0.85), ("yo", 0.08), ("ha", 0.07)), ("+234803", "+234806", "+234813", "+234805"), 7, "NGN", 1500.0,
        50.0,
        _split("Chinedu Amara Oluwaseun Ngozi Emeka Funmilayo Ibrahim Aisha Tunde Chiamaka Femi Zainab Obinna"),
        _split("Okafor Adeyemi Okonkwo Bello Eze Ogunleye Abubakar Nwosu Balogun Adebayo Ibekwe Musa Okeke"),
    ),
    CountrySpec(
        "KE", 0.07,
        (("Nairobi", "Africa/Nairobi"), ("Mombasa", "Africa/Nairobi"), ("Kisumu", "Africa/Nairobi"),
         ("Nakuru", "Africa/Nairobi"), ("Eldoret", "Africa/Nairobi")),
        (("en", 0.7), ("sw", 0.3)), ("+25470", "+25471", "+25472"), 7, "KES", 130.0, 5.0,
        _split("Wanjiru Otieno Achieng Kamau Njeri Mwangi Akinyi Kiprop Wambui Ochieng Chebet Mutua Auma"),
        _split("Kamau Otieno Mwangi Wanjiku Odhiambo Kipchoge Njoroge Ouma Kariuki Omondi Cheruiyot Mutiso"),
    ),
    CountrySpec(
        "ET", 0.05,
        (("Addis Ababa", "Africa/Addis_Ababa"), ("Dire Dawa", "Africa/Addis_Ababa"), ("Bahir Dar", "Africa/Addis_Ababa"),
         ("Hawassa", "Africa/Addis_Ababa"), ("Mekelle", "Africa/Addis_Ababa")),
        (("am", 0.8), ("en", 0.2)), ("+25191", "+25192", "+25193"), 7, "ETB", 57.0, 1.0,
        _split("Abebe Hanna Dawit Meron Yonas Selam Tesfaye Bethlehem Samuel Tigist Kebede Liya Henok Ruth"),
        _split("Tadesse Bekele Haile Alemu Girma Wolde Tesfaye Mengistu Negash Assefa Desta Gebremedhin"),
    ),
    CountrySpec(
        "PH", 0.06,
        (("Manila", "Asia/Manila"), ("Quezon City", "Asia/Manila"), ("Cebu City", "Asia/Manila"),
         ("Davao City", "Asia/Manila"), ("Makati", "Asia/Manila")),
        (("en", 0.6), ("fil", 0.4)), ("+63917", "+63918", "+63927"), 7, "PHP", 56.0, 1.0,
        _split("Jose Maria Juan Angelica John Kristine Mark Jasmine Paolo Nicole Carlo Bea Miguel Andrea"),
        _split("Santos Reyes Cruz Bautista Garcia Mendoza Dela_Cruz Ramos Aquino Villanueva Castillo Flores"),
    ),
)

LIFECYCLE_NON_BUYER = (("subscriber", 0.5), ("lead", 0.28), ("mql", 0.1), ("sql", 0.06), ("opportunity", 0.06))
LEAD_SOURCES = (("organic_search", 0.26), ("paid_social", 0.18), ("referral", 0.12), ("newsletter_signup", 0.14),
                ("paid_search", 0.12), ("marketplace", 0.06), ("event", 0.04), ("store_signup", 0.08))
INDUSTRIES = ("Retail", "Hospitality", "Sports club", "Fitness", "Education", "Corporate gifting", "E-commerce",
              "Wholesale")
COMPANY_WORDS = _split("Summit Harbor Lotus Baobab Savanna Meridian Kinetic Atlas Nimbus Coral Evergreen Horizon "
                       "Sterling Jade Acacia Pioneer Equator Monsoon Zenith Crescent")
COMPANY_KINDS = _split("Trading Sports Outfitters Retail Supplies Collective Traders Goods Lifestyle Active")

TAGS = ("vip", "wholesale", "influencer", "early-adopter", "marathoner", "gift-buyer", "price-sensitive")
LISTS = (("newsletter-paused", "Asked to pause the newsletter for a while"),
         ("beta testers", "Try new app features before everyone else"),
         ("store event invitees", "Invited to in-store launch events"))

LOYALTY_TIERS = ("bronze", "silver", "gold", "platinum")
NEWSLETTER_TOPICS = ("running", "training", "new arrivals", "sale", "outdoor", "style", "tech", "wellness")

# (sku, name, category, price in USD); the catalogue every order and cart event draws from.
CATALOGUE: tuple[tuple[str, str, str, float], ...] = tuple(
    (f"{cat[:3].upper()}-{i + 1:03d}", name, cat, price)
    for cat, items in (
        ("shoes", (("Trail runner", 119.0), ("Road racer", 139.0), ("Court classic", 79.0), ("Kids sneaker", 45.0),
                   ("Hiking boot", 159.0), ("Slide sandal", 29.0))),
        ("apparel", (("Running tee", 25.0), ("Merino hoodie", 89.0), ("Rain shell", 129.0), ("Training shorts", 32.0),
                     ("Leggings", 58.0), ("Fleece jacket", 99.0))),
        ("accessories", (("Running socks (3 pack)", 15.0), ("Cap", 22.0), ("Backpack 20 l", 69.0),
                         ("Water bottle", 18.0), ("Sunglasses", 49.0))),
        ("electronics", (("GPS watch", 249.0), ("Wireless earbuds", 129.0), ("Heart-rate strap", 59.0),
                         ("Bike light set", 39.0))),
        ("beauty", (("Sport sunscreen SPF50", 16.0), ("Recovery balm", 21.0), ("Lip balm", 6.0))),
        ("home", (("Foam roller", 35.0), ("Yoga mat", 45.0), ("Kettlebell 12 kg", 55.0), ("Insulated mug", 24.0))),
    )
    for i, (name, price) in enumerate(items)
)
CATEGORY_WEIGHTS = {"shoes": 0.3, "apparel": 0.3, "accessories": 0.18, "electronics": 0.07, "beauty": 0.08,
                    "home": 0.07}


def ascii_slug(text: str) -> str:
    """Return a lower-case ASCII form of a name, fit for an email local part."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def display_name(token: str) -> str:
    """Return a name token with the underscores that join multi-word names turned back into spaces."""
    return token.replace("_", " ")

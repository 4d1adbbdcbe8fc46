"""The table of typed amounts that the server (campaigns/core/money.py) and the browser (static/js/money.js) must read
alike: (typed, locale, currency, places, the amount read or None for a refusal, a part of the refusal's message)."""
from decimal import Decimal

NNBSP, NBSP = "\u202f", "\u00a0"

CASES = [
    # en_US: '.' decimal, ',' grouping
    ("7.50", "en_US", "USD", 2, Decimal("7.50"), None),
    ("7,50", "en_US", "USD", 2, None, "Type it like 7.50"),  # a comma as decimal mark: refused, never 750
    ("0,90", "en_US", "USD", 2, None, "Type it like 0.90"),
    ("1,234", "en_US", "USD", 2, Decimal(1234), None),  # the locale's own grouping: one thousand two hundred …
    ("1,234.50", "en_US", "USD", 2, Decimal("1234.50"), None),
    ("1,23,456", "en_US", "USD", 2, None, "Type it like 1,234.50"),
    ("12,34.5", "en_US", "USD", 2, None, "Type it like 1,234.50"),
    ("1 234.50", "en_US", "USD", 2, None, "Type it like"),
    ("$0.90", "en_US", "USD", 2, Decimal("0.90"), None),
    ("$ 12", "en_US", "USD", 2, Decimal(12), None),
    ("12.50 USD", "en_US", "USD", 2, Decimal("12.50"), None),
    ("usd 7", "en_US", "USD", 2, Decimal(7), None),
    ("€7.50", "en_US", "USD", 2, None, "Amounts here are in USD"),
    ("EUR 7.50", "en_US", "USD", 2, None, "Amounts here are in USD"),
    ("-5", "en_US", "USD", 2, None, "cannot be negative"),
    ("-$5.00", "en_US", "USD", 2, None, "cannot be negative"),
    ("7.505", "en_US", "USD", 2, None, "At most 2 decimal places"),
    ("7.500", "en_US", "USD", 2, Decimal("7.500"), None),  # trailing zeros are not decimals
    ("9999999.99", "en_US", "USD", 2, Decimal("9999999.99"), None),
    ("10000000", "en_US", "USD", 2, None, "Less than 10,000,000"),
    ("10,000,000", "en_US", "USD", 2, None, "Less than 10,000,000"),
    ("1e5", "en_US", "USD", 2, None, "Type it like"),
    ("NaN", "en_US", "USD", 2, None, "Type it like"),
    ("Infinity", "en_US", "USD", 2, None, "Type it like"),
    ("1_000", "en_US", "USD", 2, None, "Type it like"),
    ("+5", "en_US", "USD", 2, None, "Type it like"),
    (".5", "en_US", "USD", 2, None, "Type it like"),
    ("\u0663", "en_US", "USD", 2, None, "Type it like"),  # an Arabic-Indic digit
    ("   ", "en_US", "USD", 2, None, "Type the amount like 1,234.50"),
    # more digits than a decimal context keeps (28): read exactly, never rounded, never a server error
    ("1,234,567,890,123,456,789,012,345,678", "en_US", "USD", 2, None, "Less than 10,000,000"),
    ("1.234.567.890.123.456.789.012.345.678", "en_US", "USD", 2, None, "Type it like 1,234.50"),
    ("1.0000000000000000000000000000000001", "en_US", "USD", 2, None, "At most 2 decimal places"),
    ("1,234.5000000000000000000000000000000", "en_US", "USD", 2, Decimal("1234.5"), None),
    # en_GB
    ("£7.50", "en_GB", "GBP", 2, Decimal("7.50"), None),
    ("7,5", "en_GB", "GBP", 2, None, "Type it like 7.50"),
    # de_DE: ',' decimal, '.' grouping
    ("7,50", "de_DE", "EUR", 2, Decimal("7.50"), None),
    ("7.50", "de_DE", "EUR", 2, None, "Type it like 7,50"),
    ("€ 7,50", "de_DE", "EUR", 2, Decimal("7.50"), None),
    ("7,50 €", "de_DE", "EUR", 2, Decimal("7.50"), None),
    ("1.234", "de_DE", "EUR", 2, Decimal(1234), None),  # German grouping; 1.234 euros would have 3 decimals
    ("1.234,50", "de_DE", "EUR", 2, Decimal("1234.50"), None),
    ("1234,5", "de_DE", "EUR", 2, Decimal("1234.5"), None),
    ("1,234.50", "de_DE", "EUR", 2, None, "Type it like 1.234,50"),
    ("1.2345", "de_DE", "EUR", 2, None, "Type it like 1.234,50"),
    ("$5", "de_DE", "EUR", 2, None, "Amounts here are in EUR"),
    ("1 234,50", "de_DE", "EUR", 2, None, "Type it like"),
    # fr_FR: ',' decimal, narrow no-break space grouping (any space typed or pasted counts as one)
    ("1" + NNBSP + "234,50", "fr_FR", "EUR", 2, Decimal("1234.50"), None),
    ("1" + NBSP + "234,50", "fr_FR", "EUR", 2, Decimal("1234.50"), None),
    ("1 234,50", "fr_FR", "EUR", 2, Decimal("1234.50"), None),
    ("7,50 €", "fr_FR", "EUR", 2, Decimal("7.50"), None),
    ("7.50", "fr_FR", "EUR", 2, None, "Type it like 7,50"),
    ("12 34,50", "fr_FR", "EUR", 2, None, "Type it like"),
    ("1.234,50", "fr_FR", "EUR", 2, None, "Type it like"),
    # nl_NL, es_ES, it_IT, pt_BR
    ("€ 1.234,50", "nl_NL", "EUR", 2, Decimal("1234.50"), None),
    ("€ -3,00", "nl_NL", "EUR", 2, None, "cannot be negative"),
    ("0,90", "es_ES", "EUR", 2, Decimal("0.90"), None),
    ("0.90", "es_ES", "EUR", 2, None, "Type it like 0,90"),
    ("2,5", "it_IT", "EUR", 2, Decimal("2.5"), None),
    ("R$ 7,50", "pt_BR", "BRL", 2, Decimal("7.50"), None),
    ("R$ 1.000", "pt_BR", "BRL", 2, Decimal(1000), None),
    # sv_SE and pl_PL: no-break space grouping; Swedish writes its minus as U+2212
    ("1 234,50 kr", "sv_SE", "SEK", 2, Decimal("1234.50"), None),
    ("\u22125", "sv_SE", "SEK", 2, None, "cannot be negative"),
    ("1" + NBSP + "234,5", "pl_PL", "PLN", 2, Decimal("1234.5"), None),
    ("12,50 zł", "pl_PL", "PLN", 2, Decimal("12.50"), None),
    # ja_JP and yen: no decimals
    ("1,500", "ja_JP", "JPY", 0, Decimal(1500), None),
    ("￥1,500", "ja_JP", "JPY", 0, Decimal(1500), None),
    ("1500.5", "ja_JP", "JPY", 0, None, "No decimal places"),
    ("1500.00", "ja_JP", "JPY", 0, Decimal(1500), None),
    ("1.500", "en_US", "JPY", 0, None, "No decimal places"),
    # three-decimal dinars: a lone group of three could be a thousand or a fraction
    ("1.234", "en_US", "BHD", 3, Decimal("1.234"), None),
    ("1,234", "en_US", "BHD", 3, None, "A thousand or a fraction?"),
    ("1,234.500", "en_US", "BHD", 3, Decimal("1234.500"), None),
    ("1.2345", "en_US", "BHD", 3, None, "At most 3 decimal places"),
    ("1.234", "de_DE", "BHD", 3, None, "A thousand or a fraction?"),
    ("1,234", "de_DE", "BHD", 3, Decimal("1.234"), None),
]

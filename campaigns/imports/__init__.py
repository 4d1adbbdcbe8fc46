"""Reading point-of-sale files: Square's transactions, item details and customer exports, Shopify's orders
export and a plain file, into rows for campaigns.purchase_store. Pure functions: no database, no web."""
from .columns import FIELDS, SOURCES, detect_source, suggest_columns
from .converting import Converted, convert
from .options import Options, check_options, suggest_options
from .reading import Sheet, read_sheet

__all__ = ["FIELDS", "SOURCES", "Converted", "Options", "Sheet", "check_options", "convert", "detect_source",
           "read_sheet", "suggest_columns", "suggest_options"]

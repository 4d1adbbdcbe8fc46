"""Reading point-of-sale files: Square's transactions, item details and customer exports, Shopify's orders
export and a plain file, into rows for campaigns.sales.ledger. Pure functions: no database, no web."""
from campaigns.sales.pos.columns import FIELDS, NEEDS, SOURCES, Need, detect_source, missing, suggest_columns, unmet
from campaigns.sales.pos.converting import Converted, convert
from campaigns.sales.pos.formats import stored_ids
from campaigns.sales.pos.options import Options, check_options, suggest_options
from campaigns.sales.pos.reading import Sheet, read_sheet

__all__ = ["FIELDS", "NEEDS", "SOURCES", "Converted", "Need", "Options", "Sheet", "check_options", "convert",
           "detect_source", "missing", "read_sheet", "stored_ids", "suggest_columns", "suggest_options", "unmet"]

"""What the report pages show, written for people: money, a share always with its count, ROI, the payback day,
the overview's sorting, and each chart's numbers (as JSON for static/js/report.js, and as CSV).

Every figure comes from campaigns.reports.assemble; nothing is counted here. Rounding happens only for display.
"""
import re
from datetime import date
from fractions import Fraction

from campaigns.accounts.business import get_settings
from campaigns.core import money, numbers
from campaigns.reports import written as api_text
from campaigns.reports.assemble import MIN_FOR_CHART
from campaigns.web import report_labels

MINUS = "\u2212"
# The overview's columns: (sort key, heading, the figure it sorts by). The campaign column sorts by name.
COLUMNS = (
    ("campaign", "Campaign", None), ("redeemed", "Redeemed", "redeemed"),
    ("conversion", "Converted", "conversion_rate"),
    ("repeat", "Repeat", "repeat_customers"), ("revenue", "Revenue", "revenue_cents"),
    ("gross_profit", "Gross profit", "gross_profit"), ("cost", "Cost", "cost_cents"), ("roi", "Attributed ROI", "roi"),
    ("verdict", "Verdict", "verdict_order"), ("payback", "Paid back", "payback_days"), ("nps", "NPS", "nps"),
)
SORTS = {key for key, _, _ in COLUMNS}
# The tables a campaign report draws, each downloadable as CSV (brief 18's addresses).
TABLES = ("funnel", "conversion_by_day", "profit_by_day", "cohorts", "by_batch", "by_location")
STAGES = {"issued": "Vouchers issued", "redeemed": "Vouchers redeemed", "identified": "Redeemed by a known customer",
          "converted": "Customers who came back to buy", "repeat": "Customers who bought twice or more"}
SEGMENT_COLUMNS = ("issued", "redeemed", "identified_redemptions", "redeeming_customers", "converted_customers",
                   "conversion_rate", "repeat_customers", "revenue", "gross_profit", "cost", "roi", "freebie_only")


def _locale() -> str:
    return get_settings().locale


def percent(rate: Fraction | float | None) -> str:
    """Write a rate as a percentage the business's way: whole numbers, one decimal below 10% ("25%", "2.5%";
    "2,5 %" in German)."""
    if rate is None:
        return "—"
    value = float(rate) * 100
    decimals = 1 if 0 < abs(value) < 10 and round(abs(value), 1) != round(abs(value)) else 0
    shown = round(abs(value), decimals)
    return (MINUS if value < 0 and shown else "") + numbers.percent_text(shown, decimals, _locale())


def share(part: int, whole: int) -> str:
    """Write a share with its count beside it: "25% (12 of 48)"; "none yet (0 of 0)" with nothing to count."""
    if not whole:
        return "none yet (0 of 0)"
    return f"{percent(Fraction(part, whole))} ({count(part)} of {count(whole)})"


def roi_text(roi: Fraction | None) -> str:
    """Write ROI as a signed percentage ("+35%", "−20%"); "no cost" when there is nothing to divide by."""
    if roi is None:
        return "no cost"
    return ("+" if roi > 0 else "") + percent(roi)


def points(difference: Fraction | float | None) -> str:
    """Write a difference of two rates in percentage points, signed: "+3.2 points", "−1.0 points"."""
    if difference is None:
        return "—"
    value = round(float(difference) * 100, 1)
    return ("+" if value > 0 else MINUS if value < 0 else "") + f"{numbers.decimal_text(abs(value), _locale())} points"


def loses_money(values: dict) -> bool:
    """Tell whether the verdict is in and says it loses money (METRICS.md `verdict`), never on a young ROI."""
    return values.get("verdict") == "loses_money"


def nps_text(nps: int | None) -> str:
    """An NPS with its sign (+40, −12, 0), or a dash without answers."""
    if nps is None:
        return "—"
    return ("+" if nps > 0 else MINUS if nps < 0 else "") + str(abs(nps))


def payback_text(payback_date: date | None, payback_days: int | None) -> str:
    """Write the payback day: "day 12 (4 Mar 2026)", or "not yet"."""
    if payback_date is None:
        return "not yet"
    return f"day {payback_days} ({numbers.day_text(payback_date, _locale())})"


def amount(value: Fraction | int | None) -> str:
    """Write exact cents as money for people, rounded to the cent."""
    settings = get_settings()
    return money.format_amount(api_text.cents(value), settings.currency, settings.locale)


def plain_amount(value: Fraction | int | None) -> str:
    """Write exact cents as a number for a table whose heading names the currency ("1,219.30")."""
    return re.sub(r"\s*[A-Z]{3}\s*", "", amount(value))


def count(value: int | None) -> str:
    """Write a count with the business's thousands separators."""
    return numbers.count_text(value, _locale())


def formatting() -> dict:
    """The writers the report templates use."""
    return {"percent": percent, "share": share, "points": points, "roi_text": roi_text, "loses_money": loses_money,
            "payback_text": payback_text, "amount": amount, "plain_amount": plain_amount, "count": count,
            "nps_text": nps_text, **report_labels.formatting(),
            "CURRENCY": get_settings().currency, "STAGES": STAGES,
            "COLUMNS": COLUMNS, "MIN_FOR_CHART": MIN_FOR_CHART}


def read_sort(sort: str | None, direction: str | None) -> tuple[str | None, str]:
    """Read ?sort= and ?dir= (an unknown column means the default order)."""
    key = sort if sort in SORTS else None
    return key, "asc" if direction == "asc" else "desc"


def sort_rows(rows: list[dict], key: str | None, direction: str) -> list[dict]:
    """Sort the overview's rows by a column; rows without a value (no ROI, not paid back) go last either way."""
    if key is None:
        return rows
    if key == "campaign":
        return sorted(rows, key=lambda row: row["campaign"].name.casefold(), reverse=direction == "desc")
    figure = dict((k, f) for k, _, f in COLUMNS)[key]

    def value(row):
        return report_labels.VERDICT_ORDER[row["verdict"]] if figure == "verdict_order" else row[figure]
    present = [row for row in rows if value(row) is not None]
    absent = [row for row in rows if value(row) is None]
    return sorted(present, key=value, reverse=direction == "desc") + absent


def chart_base() -> dict:
    """What every chart's JSON carries: the currency and the locale its axis labels are written in."""
    settings = get_settings()
    return {"currency": settings.currency, "locale": settings.locale.replace("_", "-")}


def roi_chart(rows: list[dict]) -> dict:
    """The overview's chart: ROI per campaign, for campaigns with a cost and enough customers to mean something."""
    shown = [row for row in rows if row["roi"] is not None and row["redeeming_customers"] >= MIN_FOR_CHART]
    return chart_base() | {
        "kind": "roi", "labels": [row["campaign"].name for row in shown],
        "values": [round(float(row["roi"]) * 100, 1) for row in shown],
        "bar_texts": [roi_text(row["roi"]) for row in shown],  # the same words as the table beside it
        "texts": [f"{roi_text(row['roi'])} ({amount(row['gross_profit'])} profit on {amount(row['cost_cents'])} cost)"
                  for row in shown]}


def left_out_of_roi_chart(rows: list[dict]) -> list[dict]:
    """The campaigns the ROI chart leaves out, and why."""
    return [row for row in rows if row["roi"] is None or row["redeeming_customers"] < MIN_FOR_CHART]


def funnel_rows(report: dict) -> list[dict]:
    """Each funnel stage with its count and its share of the stage before."""
    rows, before = [], None
    for step in report["series"]["funnel"]:
        rows.append({"stage": step["stage"], "label": STAGES.get(step["stage"], step["stage"]), "count": step["count"],
                     "of_before": share(step["count"], before["count"]) if before else "",
                     "before": STAGES.get(before["stage"], "") if before else ""})
        before = step
    return rows


def funnel_chart(report: dict) -> dict:
    """The funnel chart's numbers: issued, redeemed, identified, converted, repeat."""
    rows = funnel_rows(report)
    return chart_base() | {"kind": "funnel", "labels": [row["label"] for row in rows],
                           "values": [row["count"] for row in rows],
                           "texts": [count(row["count"]) + (f" — {row['of_before']}" if row["of_before"] else "")
                                     for row in rows],
                           "summary": "; ".join(f"{row['label']}: {count(row['count'])}" for row in rows)}


def conversion_chart(series: dict) -> dict:
    """Cumulative share of redeeming customers who converted, and who bought at all, by days since redemption."""
    base = series["redeeming_customers"]
    days = series["days"]
    return chart_base() | {
        "kind": "conversion", "window": series["window"], "base": base, "days": [day["day"] for day in days],
        "converted": [round(100 * day["converted"] / base, 2) if base else 0 for day in days],
        "bought": [round(100 * day["bought"] / base, 2) if base else 0 for day in days],
        "converted_texts": [share(day["converted"], base) for day in days],
        "bought_texts": [share(day["bought"], base) for day in days]}


def profit_rows(series: dict) -> list[dict]:
    """Each day's cost and gross profit, with their running totals (what the payback chart draws)."""
    rows, cost, profit = [], 0, Fraction(0)
    for day in series["days"]:
        cost += day["cost_cents"]
        profit += day["gross_profit"]
        rows.append(dict(day, cumulative_cost=cost, cumulative_gross_profit=profit))
    return rows


def profit_chart(series: dict) -> dict:
    """Cumulative gross profit against cumulative cost, day by day, with the payback day marked."""
    rows = profit_rows(series)
    payback = series.get("payback_date")
    dates = [row["date"] for row in rows]
    return chart_base() | {
        "kind": "profit", "labels": [numbers.short_day_text(day, _locale()) for day in dates],
        "cost": [api_text.cents(row["cumulative_cost"]) / 100 for row in rows],
        "profit": [api_text.cents(row["cumulative_gross_profit"]) / 100 for row in rows],
        "cost_texts": [amount(row["cumulative_cost"]) for row in rows],
        "profit_texts": [amount(row["cumulative_gross_profit"]) for row in rows],
        "payback_index": dates.index(payback) if payback in dates else None,
        "payback_text": f"Paid back: {payback_text(payback, series.get('payback_days'))}" if payback else None,
        "payback_short": f"Paid back: day {series.get('payback_days')}" if payback else None}


def segment_name(row: dict, kind: str) -> str:
    """Name a batch ("flyer A · print") or a location, or say it has none."""
    if kind == "by_location":
        return row["location"] or "No location recorded"
    label = row["label"] or "No batch label"
    return f"{label} · {row['channel']}" if row.get("channel") else label


def segment_chart(rows: list[dict], kind: str) -> dict:
    """Conversion per batch or location, for the segments with enough redeeming customers."""
    shown = [row for row in rows if row["redeeming_customers"] >= MIN_FOR_CHART]
    return chart_base() | {
        "kind": "segments", "labels": [segment_name(row, kind) for row in shown],
        "values": [round(100 * float(row["conversion_rate"]), 1) for row in shown],
        "texts": [share(row["converted_customers"], row["redeeming_customers"]) for row in shown]}


def report_charts(report: dict) -> dict:
    """Every chart of a campaign report, as the JSON its canvas is drawn from."""
    series = report["series"]
    return {"funnel": funnel_chart(report), "conversion": conversion_chart(series["conversion_by_day"]),
            "profit": profit_chart(series["profit_by_day"]),
            "by_batch": segment_chart(series["by_batch"], "by_batch"),
            "by_location": segment_chart(series["by_location"], "by_location")}


def cohort_cells(cohort: dict) -> list[dict | None]:
    """A cohort's weeks as table cells: count, share and a shade step 0-10 (None: a week not yet lived)."""
    cells = []
    for bought in cohort["weeks"]:
        if bought is None:
            cells.append(None)
            continue
        rate = Fraction(bought, cohort["customers"]) if cohort["customers"] else Fraction(0)
        cells.append({"count": bought, "percent": percent(rate), "shade": min(10, round(rate * 10))})
    return cells


def table_csv_rows(report: dict, table: str) -> list[list]:
    """One chart's table as CSV rows (a header first), in the API's text: money "12.50", rates as decimals."""
    written = api_text.report_json(report)["series"][table]
    if table == "funnel":
        return [["stage", "count"]] + [[row["stage"], row["count"]] for row in written]
    if table == "conversion_by_day":
        base = written["redeeming_customers"]
        return [["days_since_redemption", "converted", "bought", "redeeming_customers", "converted_rate",
                 "bought_rate"]] + [[row["day"], row["converted"], row["bought"], base,
                                     _decimal(row["converted"], base), _decimal(row["bought"], base)]
                                    for row in written["days"]]
    if table == "profit_by_day":
        cumulative = profit_rows(report["series"]["profit_by_day"])
        currency = get_settings().currency
        return [["date", "redeemed", "cost", "revenue", "gross_profit", "cumulative_cost",
                 "cumulative_gross_profit"]] + [
            [row["date"], row["redeemed"], row["cost"], row["revenue"], row["gross_profit"],
             money.to_json(total["cumulative_cost"], currency),
             money.to_json(api_text.cents(total["cumulative_gross_profit"]), currency)]
            for row, total in zip(written["days"], cumulative, strict=True)]
    if table == "cohorts":
        weeks = max((len(row["weeks"]) for row in written), default=0)
        return [["week", "customers"] + [f"week_{index}" for index in range(weeks)]] + [
            [row["week"], row["customers"]] + ["" if cell is None else cell for cell in row["weeks"]]
            for row in written]
    first = ["label", "channel"] if table == "by_batch" else ["location"]
    return [first + list(SEGMENT_COLUMNS)] + [
        [row.get(column) for column in first] + ["" if row.get(column) is None else row[column]
                                                 for column in SEGMENT_COLUMNS] for row in written]


def _decimal(part: int, whole: int) -> float | str:
    """A rate as the API writes it (a decimal number), empty when there is nothing to divide by."""
    return float(Fraction(part, whole)) if whole else ""

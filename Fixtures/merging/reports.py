"""Reports built from sales records."""


def summarize_sales_by_region(records):
    """Total the sales of every region and month, and rank the regions by revenue."""
    totals = {}
    # The north region reports its sales in its own currency and calendar.
    north_records = [record for record in records if record["region"] == "north"]
    north_revenue = sum(record["amount"] * record["rate"] for record in north_records)
    north_months = sorted({record["month"] for record in north_records})
    totals["north"] = {"revenue": north_revenue, "months": north_months, "count": len(north_records)}
    # The south region reports its sales in its own currency and calendar.
    south_records = [record for record in records if record["region"] == "south"]
    south_revenue = sum(record["amount"] * record["rate"] for record in south_records)
    south_months = sorted({record["month"] for record in south_records})
    totals["south"] = {"revenue": south_revenue, "months": south_months, "count": len(south_records)}
    # The east region reports its sales in its own currency and calendar.
    east_records = [record for record in records if record["region"] == "east"]
    east_revenue = sum(record["amount"] * record["rate"] for record in east_records)
    east_months = sorted({record["month"] for record in east_records})
    totals["east"] = {"revenue": east_revenue, "months": east_months, "count": len(east_records)}
    # The west region reports its sales in its own currency and calendar.
    west_records = [record for record in records if record["region"] == "west"]
    west_revenue = sum(record["amount"] * record["rate"] for record in west_records)
    west_months = sorted({record["month"] for record in west_records})
    totals["west"] = {"revenue": west_revenue, "months": west_months, "count": len(west_records)}
    # The central region reports its sales in its own currency and calendar.
    central_records = [record for record in records if record["region"] == "central"]
    central_revenue = sum(record["amount"] * record["rate"] for record in central_records)
    central_months = sorted({record["month"] for record in central_records})
    totals["central"] = {"revenue": central_revenue, "months": central_months, "count": len(central_records)}
    # The coastal region reports its sales in its own currency and calendar.
    coastal_records = [record for record in records if record["region"] == "coastal"]
    coastal_revenue = sum(record["amount"] * record["rate"] for record in coastal_records)
    coastal_months = sorted({record["month"] for record in coastal_records})
    totals["coastal"] = {"revenue": coastal_revenue, "months": coastal_months, "count": len(coastal_records)}
    # The mountain region reports its sales in its own currency and calendar.
    mountain_records = [record for record in records if record["region"] == "mountain"]
    mountain_revenue = sum(record["amount"] * record["rate"] for record in mountain_records)
    mountain_months = sorted({record["month"] for record in mountain_records})
    totals["mountain"] = {"revenue": mountain_revenue, "months": mountain_months, "count": len(mountain_records)}
    # The island region reports its sales in its own currency and calendar.
    island_records = [record for record in records if record["region"] == "island"]
    island_revenue = sum(record["amount"] * record["rate"] for record in island_records)
    island_months = sorted({record["month"] for record in island_records})
    totals["island"] = {"revenue": island_revenue, "months": island_months, "count": len(island_records)}
    ranking = sorted(totals.items(), key=lambda item: item[1]["revenue"], reverse=True)
    return {"totals": totals, "ranking": [name for name, _ in ranking]}

"""Employment: claimants (people file) and employment, earnings and benefit events."""

from __future__ import annotations

import pandera.pandas as pa

from nightingale.linkage.schemas.base import (
    EventFile,
    PeopleFile,
    ProviderSpec,
    date,
    decimal,
    key,
    one_of,
    text,
)

YMD = "%Y%m%d"
CUSTOMER = r"^C\d{9}$"

PEOPLE = PeopleFile(
    name="claimants.csv",
    key="customer_ref",
    schema=pa.DataFrameSchema(
        {
            "customer_ref": key(CUSTOMER, unique=True),
            "ni_number": text(),
            "first_name": text(),
            "last_name": text(),
            "dob": text(),
            "gender": text(),
            "postcode": text(),
        }
    ),
    identifiers={
        "given_name": ("first_name",),
        "family_name": ("last_name",),
        "date_of_birth": ("dob",),
        "sex": ("gender",),
        "postcode": ("postcode",),
        "ni_number": ("ni_number",),
    },
)

SPEC = ProviderSpec(
    name="employment",
    date_format=YMD,
    people=PEOPLE,
    events=(
        EventFile(
            "employment_spells.csv",
            "customer_ref",
            pa.DataFrameSchema(
                {
                    "customer_ref": key(CUSTOMER),
                    "spell_id": key(r"^S\d{10}$", unique=True),
                    "start_date": date(YMD, required=True),
                    "end_date": date(YMD),
                    "hours": one_of(["full_time", "part_time"]),
                }
            ),
        ),
        EventFile(
            "earnings.csv",
            "customer_ref",
            pa.DataFrameSchema(
                {
                    "customer_ref": key(CUSTOMER),
                    "pay_month": date("%Y%m", required=True),
                    "gross_pay": decimal(0, required=True),
                }
            ),
        ),
        EventFile(
            "benefit_claims.csv",
            "customer_ref",
            pa.DataFrameSchema(
                {
                    "customer_ref": key(CUSTOMER),
                    "claim_id": key(r"^B\d{10}$", unique=True),
                    "benefit": one_of(["UC", "ESA", "JSA"], required=True),
                    "claim_start": date(YMD, required=True),
                    "claim_end": date(YMD),
                    "sickness_related": one_of(["Y", "N"]),
                }
            ),
        ),
    ),
)

"""Housing: social tenancies (people file, lead tenant's identifiers) and property reports."""

from __future__ import annotations

import pandera.pandas as pa

from nightingale.linkage.schemas.base import (
    EventFile,
    PeopleFile,
    ProviderSpec,
    date,
    integer,
    key,
    one_of,
    text,
)

DMY = "%d/%m/%Y"
TENANCY = r"^TEN-\d{8}$"

PEOPLE = PeopleFile(
    name="tenancies.csv",
    key="tenancy_ref",
    schema=pa.DataFrameSchema(
        {
            "tenancy_ref": key(TENANCY, unique=True),
            "landlord": text(required=True),
            "tenant_title": text(),
            "tenant_forename": text(),
            "tenant_surname": text(),
            "tenant_dob": text(),
            "tenant_ni_number": text(),
            "address_line_1": text(),
            "address_line_2": text(),
            "postcode": text(),
            "uprn": text(),
            "district": text(required=True),
            "scheme": one_of(["designed_for_health", "standard"], required=True),
            "property_type": one_of(["flat", "house", "bungalow", "maisonette"]),
            "bedrooms": integer(1, 5),
            "epc_band": one_of(list("ABCDEFG")),
            "household_size": integer(1, 20),
            "overcrowded": one_of(["Y", "N"]),
            "tenancy_start": date(DMY, required=True),
            "tenancy_end": date(DMY),
            "end_reason": one_of(["moved_out", "deceased"]),
        }
    ),
    identifiers={
        "given_name": ("tenant_forename",),
        "family_name": ("tenant_surname",),
        "date_of_birth": ("tenant_dob",),
        # Housing sends no sex; the tenant's title implies it where it can (Mr, Mrs, Miss, Ms).
        "sex": ("tenant_title",),
        "postcode": ("postcode",),
        "address": ("address_line_1",),
        "ni_number": ("tenant_ni_number",),
    },
    extra_identifiers=("address_line_2", "uprn"),
)

SPEC = ProviderSpec(
    name="housing",
    date_format=DMY,
    people=PEOPLE,
    events=(
        EventFile(
            "property_reports.csv",
            "tenancy_ref",
            pa.DataFrameSchema(
                {
                    "tenancy_ref": key(TENANCY),
                    "report_ref": key(r"^RPT-\d{9}$", unique=True),
                    "report_date": date(DMY, required=True),
                    "category": one_of(["damp_mould", "disrepair", "overcrowding"], required=True),
                    "severity": one_of(["low", "medium", "high"]),
                }
            ),
        ),
    ),
)

"""A small hand-made region in the extract contract's formats (docs/synthetic-region.md).

Twelve people, written by three providers with the contract's quirks and the hard cases
linkage must get right: nicknames, typos, swapped day and month, a married surname,
spaced NHS and NI numbers, unspaced postcodes, a within-source duplicate, twins at one
address, and a father and son with the same name at the same address. ``truth`` names
the person behind every people-file row, as ``truth/records.csv`` does.
"""

from __future__ import annotations

import csv
from pathlib import Path

# person, forename, surname, dob (ISO), sex, postcode, nhs, ni, address
PEOPLE = [
    (
        "N01",
        "Robert",
        "Ashworth",
        "1961-04-12",
        "M",
        "LS6 2AB",
        "9434765919",
        "AB123456C",
        "14 Harper Grove",
    ),
    (
        "N02",
        "Elizabeth",
        "Khan",
        "1985-11-03",
        "F",
        "BD7 1DP",
        "4010232137",
        "CE654321A",
        "3 Moor Lane",
    ),
    (
        "N03",
        "Oliver",
        "Pearson",
        "2001-06-21",
        "M",
        "WF1 3JT",
        "9876543210",
        "JH112233B",
        "77 Station Road",
    ),
    (
        "N04",
        "Amelia",
        "Pearson",
        "2001-06-21",
        "F",
        "WF1 3JT",
        "4505577104",
        "JH445566D",
        "77 Station Road",
    ),
    (
        "N05",
        "Daniel",
        "Okafor",
        "1972-01-30",
        "M",
        "HX1 5QR",
        "5990128088",
        "KL778899C",
        "9 Bank Street",
    ),
    (
        "N06",
        "Daniel",
        "Okafor",
        "1999-09-14",
        "M",
        "HX1 5QR",
        "3478231458",
        "KL998877A",
        "9 Bank Street",
    ),
    ("N07", "Margaret", "O'Brien", "1948-02-05", "F", "HD1 2RS", "6543217891", "", "21 Kirkgate"),
    (
        "N08",
        "Siobhan",
        "Walsh",
        "1990-12-25",
        "F",
        "YO1 7HH",
        "1234567881",
        "MN246810D",
        "5 Tower Street",
    ),
    (
        "N09",
        "Thomas",
        "Nowak",
        "1980-03-09",
        "M",
        "LS9 8AA",
        "2345678904",
        "PR135791B",
        "60 Harehills Lane",
    ),
    (
        "N10",
        "Priya",
        "Sharma",
        "1995-07-17",
        "F",
        "S70 1GW",
        "3456789015",
        "ST864209C",
        "2 Church Street",
    ),
    (
        "N11",
        "George",
        "Fletcher",
        "1938-10-01",
        "M",
        "HG1 1BB",
        "4567890129",
        "",
        "8 Parliament Street",
    ),
    ("N12", "Chloe", "Bennett", "2010-05-05", "F", "LS6 2AB", "5678901230", "", "14 Harper Grove"),
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _dmy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def write_region(folder: Path) -> dict[tuple[str, str], str]:
    """Write extracts under ``folder/extracts``; return (provider, local key) -> person."""
    truth: dict[tuple[str, str], str] = {}
    ex = folder / "extracts"
    people = {p[0]: p for p in PEOPLE}

    health_rows = []
    for n, (pid, fore, sur, dob, sex, pc, nhs, _ni, _addr) in enumerate(PEOPLE):
        key = f"P{100000001 + n}"
        truth[("health", key)] = pid
        forename = {"N01": "Bob", "N02": "Elizabeth"}.get(pid, fore)
        nhs_text = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if pid == "N05" else nhs
        postcode = pc.replace(" ", "") if pid == "N09" else pc
        health_rows.append(
            [
                key,
                "B12345",
                nhs_text,
                forename,
                sur,
                dob,
                sex,
                postcode,
                "2015-01-01",
                "",
                "",
                "E01000001",
                "3",
                "1",
            ]
        )
    # A within-source duplicate of N08 with a typo, under another key.
    truth[("health", "P200000001")] = "N08"
    health_rows.append(
        [
            "P200000001",
            "B12345",
            "",
            "Siobahn",
            "Walsh",
            "1990-12-25",
            "F",
            "yo1 7hh",
            "2019-03-01",
            "",
            "",
            "E01000002",
            "5",
            "0",
        ]
    )
    _write(
        ex / "health" / "gp_registrations.csv",
        [
            "patient_id",
            "practice_code",
            "nhs_number",
            "forename",
            "surname",
            "date_of_birth",
            "sex",
            "postcode",
            "registration_date",
            "deregistration_date",
            "deregistration_reason",
            "lsoa_code",
            "imd_decile",
            "ltc_count",
        ],
        health_rows,
    )
    _write(
        ex / "health" / "admissions.csv",
        [
            "patient_id",
            "admission_id",
            "admission_date",
            "discharge_date",
            "admission_method",
            "diag_primary",
            "diag_secondary",
            "proc_primary",
            "icd10_chapter",
        ],
        [
            [
                "P100000001",
                "A0000000001",
                "2020-02-01",
                "2020-02-03",
                "emergency",
                "I214",
                "I10X",
                "K751",
                "IX",
            ],
            [
                "P200000001",
                "A0000000002",
                "2021-05-01",
                "2021-05-01",
                "elective",
                "M171",
                "",
                "W401",
                "XIII",
            ],
        ],
    )

    housing_rows = []
    tenants = ["N01", "N02", "N03", "N04", "N05", "N06", "N07", "N09"]
    for n, pid in enumerate(tenants):
        _, fore, sur, dob, sex, pc, _nhs, ni, addr = people[pid]
        key = f"TEN-{10000001 + n:08d}"
        truth[("housing", key)] = pid
        surname = {"N02": "Hussain"}.get(pid, sur).upper()  # N02 under her married name
        title = {"M": "Mr", "F": "Ms"}[sex]
        ni_text = f"{ni[:2]} {ni[2:4]} {ni[4:6]} {ni[6:8]} {ni[8]}" if pid == "N01" and ni else ni
        housing_rows.append(
            [
                key,
                "Leeds Homes",
                title,
                fore,
                surname,
                _dmy(dob),
                ni_text,
                addr,
                "Leeds",
                pc,
                f"{100000000000 + n}",
                "Leeds",
                "standard",
                "house",
                "3",
                "C",
                "3",
                "2",
                "N",
                "01/06/2020",
                "",
                "",
            ]
        )
    _write(
        ex / "housing" / "tenancies.csv",
        [
            "tenancy_ref",
            "landlord",
            "tenant_title",
            "tenant_forename",
            "tenant_surname",
            "tenant_dob",
            "tenant_ni_number",
            "address_line_1",
            "address_line_2",
            "postcode",
            "uprn",
            "district",
            "scheme",
            "property_type",
            "bedrooms",
            "epc_band",
            "household_size",
            "bedroom_standard",
            "overcrowded",
            "tenancy_start",
            "tenancy_end",
            "end_reason",
        ],
        housing_rows,
    )
    _write(
        ex / "housing" / "property_reports.csv",
        ["tenancy_ref", "report_ref", "report_date", "category", "severity"],
        [["TEN-10000001", "RPT-000000001", "05/01/2021", "damp_mould", "high"]],
    )

    employment_rows = []
    for n, pid in enumerate(["N01", "N02", "N03", "N05", "N06", "N08", "N09", "N10"]):
        _, fore, sur, dob, sex, pc, _nhs, ni, _addr = people[pid]
        key = f"C{300000001 + n}"
        truth[("employment", key)] = pid
        y, m, d = dob.split("-")
        dob_text = f"{y}{d}{m}" if pid == "N09" else f"{y}{m}{d}"  # N09: day and month swapped
        surname = "PEARSPN" if pid == "N03" else sur.upper()  # N03: a typo
        employment_rows.append(
            [key, ni, fore.upper(), surname, dob_text, {"M": "1", "F": "2"}[sex], pc]
        )
    _write(
        ex / "employment" / "claimants.csv",
        ["customer_ref", "ni_number", "first_name", "last_name", "dob", "gender", "postcode"],
        employment_rows,
    )
    _write(
        ex / "employment" / "earnings.csv",
        ["customer_ref", "pay_month", "gross_pay"],
        [["C300000001", "202001", "2143.27"], ["C300000002", "202002", "1800.00"]],
    )
    _write_truth(folder, truth)
    return truth


def _write_truth(folder: Path, truth: dict[tuple[str, str], str]) -> None:
    files = {
        "health": "gp_registrations.csv",
        "housing": "tenancies.csv",
        "employment": "claimants.csv",
    }
    _write(
        folder / "truth" / "records.csv",
        ["provider", "file", "local_key", "person_id", "duplicate", "errors"],
        [[prov, files[prov], key, pid, "0", ""] for (prov, key), pid in sorted(truth.items())],
    )

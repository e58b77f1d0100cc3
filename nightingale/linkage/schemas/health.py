"""Health: GP registrations (people file) and hospital, GP, EQ-5D and death events."""

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

ISO = "%Y-%m-%d"
PATIENT = r"^P\d{9}$"
CHAPTERS = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI",
    "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI",
]  # fmt: skip
LEVEL = integer(1, 5, required=True)

PEOPLE = PeopleFile(
    name="gp_registrations.csv",
    key="patient_id",
    schema=pa.DataFrameSchema(
        {
            "patient_id": key(PATIENT, unique=True),
            "practice_code": key(r"^B\d{5}$"),
            "nhs_number": text(),
            "forename": text(),
            "surname": text(),
            "date_of_birth": text(),
            "sex": text(),
            "postcode": text(),
            "registration_date": date(ISO, required=True),
            "deregistration_date": date(ISO),
            "deregistration_reason": one_of(["moved", "left_region", "died"]),
            "lsoa_code": text(pa.Check.str_matches(r"^E01\d{6}$", name="LSOA code")),
            "imd_decile": integer(1, 10),
            "ltc_count": integer(0, 8),
        }
    ),
    identifiers={
        "given_name": ("forename",),
        "family_name": ("surname",),
        "date_of_birth": ("date_of_birth",),
        "sex": ("sex",),
        "postcode": ("postcode",),
        "nhs_number": ("nhs_number",),
    },
)

SPEC = ProviderSpec(
    name="health",
    date_format=ISO,
    people=PEOPLE,
    events=(
        EventFile(
            "admissions.csv",
            "patient_id",
            pa.DataFrameSchema(
                {
                    "patient_id": key(PATIENT),
                    "admission_id": key(r"^A\d{10}$", unique=True),
                    "admission_date": date(ISO, required=True),
                    "discharge_date": date(ISO, required=True),
                    "admission_method": one_of(["emergency", "elective"], required=True),
                    "icd10_chapter": one_of(CHAPTERS),
                }
            ),
        ),
        EventFile(
            "ae_attendances.csv",
            "patient_id",
            pa.DataFrameSchema(
                {
                    "patient_id": key(PATIENT),
                    "attendance_id": key(r"^E\d{10}$", unique=True),
                    "arrival_date": date(ISO, required=True),
                    "arrival_mode": one_of(["ambulance", "walk_in"]),
                }
            ),
        ),
        EventFile(
            "gp_consultations.csv",
            "patient_id",
            pa.DataFrameSchema(
                {
                    "patient_id": key(PATIENT),
                    "consultation_date": date(ISO, required=True),
                    "consultation_type": one_of(["face_to_face", "telephone", "home_visit"]),
                }
            ),
        ),
        EventFile(
            "eq5d.csv",
            "patient_id",
            pa.DataFrameSchema(
                {
                    "patient_id": key(PATIENT),
                    "response_date": date(ISO, required=True),
                    "visit": one_of(
                        [
                            "baseline",
                            "followup_6m",
                            "followup_12m",
                            "followup_24m",
                            "followup_36m",
                            "followup_48m",
                        ],
                        required=True,
                    ),
                    "mobility": LEVEL,
                    "self_care": LEVEL,
                    "usual_activities": LEVEL,
                    "pain_discomfort": LEVEL,
                    "anxiety_depression": LEVEL,
                    "eq_vas": integer(0, 100),
                }
            ),
        ),
        EventFile(
            "deaths.csv",
            "patient_id",
            pa.DataFrameSchema(
                {
                    "patient_id": key(PATIENT),
                    "date_of_death": date(ISO, required=True),
                    "icd10_chapter": one_of(CHAPTERS),
                }
            ),
        ),
    ),
)

# ruff: noqa: E501 - the tables are wide on purpose: one line per row reads like the data
"""A hand-made region for the homes pilot's spec: every variable of every person known.

Four people are in the cohort and three are not:

- alice: designed-for-health home from 2020-03-15; events on both sides of every window
  edge (exactly 12 months before, the day before, the index day, exactly 6 months after);
  followed for the full four years (2020 and 2024 are leap years).
- bob: standard home from 2021-02-28, born 29 February 1960 (still 60 on the 28th in a
  non-leap year); moves out on 2021-06-30, so an A&E visit on that day counts and one on
  the next day does not; an earlier tenancy wins over his later designed-for-health one.
- carol: designed-for-health home from 29 February 2020 and dies that day; two health
  records (the registration starting on the index day is the one in force).
- fay: a GP registration with no IMD or conditions recorded, and no other health record;
  index 2022-12-31, censored at the end of data (2026-06-30); six months after 31
  December is 30 June.
- dan (tenancies outside 2020-2022), erin (died before her tenancy) and gus (registered
  with a GP only after his index date: the spec requires a registration by then) are
  excluded.
"""

from __future__ import annotations

import pyarrow as pa

from tests.cohorts.tables import table

SPINE = table("""
    source     | record_id | person_id
    housing    | h1        | alice
    housing    | h2        | bob
    housing    | h3        | bob
    housing    | h4        | carol
    housing    | h5        | dan
    housing    | h6        | dan
    housing    | h7        | erin
    housing    | h8        | fay
    housing    | h9        | gus
    health     | g1        | alice
    health     | g2        | bob
    health     | g3        | carol
    health     | g4        | carol
    health     | g5        | erin
    health     | g6        | fay
    health     | g7        | gus
    employment | e1        | alice
    employment | e2        | bob
    employment | e3        | fay
    employment | e4        | gus
""")

TABLES: dict[str, pa.Table] = {
    "housing.tenancies": table("""
        record_id | tenancy_start | tenancy_end | scheme
        h1        | 2020-03-15    |             | designed_for_health
        h2        | 2021-02-28    | 2021-06-30  | standard
        h3        | 2022-05-01    |             | designed_for_health
        h4        | 2020-02-29    | 2020-02-29  | designed_for_health
        h5        | 2019-12-31    | 2020-05-01  | standard
        h6        | 2023-01-01    |             | standard
        h7        | 2022-12-31    |             | standard
        h8        | 2022-12-31    |             | designed_for_health
        h9        | 2021-01-01    |             | designed_for_health
    """),
    "linkage.demographics": table("""
        source     | record_id | date_of_birth | sex
        health     | g1        | 1985-03-16    | F
        health     | g2        | 1960-02-29    | M
        health     | g3        |               | F
        health     | g4        |               | F
        employment | e2        | 1960-02-29    | M
        employment | e3        | 2000-06-15    | F
        health     | g6        | 2000-06-15    | F
        employment | e4        | 1990-01-01    | M
        health     | g7        | 1990-01-01    | M
    """),
    "health.gp_registrations": table("""
        record_id | registration_date | imd_decile | ltc_count
        g1        | 2015-01-01        | 3          | 5
        g2        | 2010-06-01        | 10         | 0
        g3        | 2010-01-01        | 1          | 2
        g4        | 2020-02-29        | 6          | 1
        g5        | 2000-01-01        | 5          | 0
        g6        | 2022-12-31        |            |
        g7        | 2021-01-02        | 4          | 0
    """),
    "health.admissions": table("""
        record_id | admission_date | discharge_date | admission_method | diag_primary | diag_secondary:str
        g1        | 2019-03-14     | 2019-03-15     | emergency        | J459         |
        g1        | 2019-03-15     | 2019-03-16     | emergency        | S720         | W190
        g1        | 2020-01-01     | 2020-01-02     | elective         | H251         |
        g1        | 2020-03-14     | 2020-03-14     | emergency        | S720         | W010
        g1        | 2020-03-15     | 2020-03-18     | emergency        | J46X         | I10X
        g1        | 2020-09-14     | 2020-09-16     | elective         | M161         | W190
        g1        | 2020-09-15     | 2020-09-15     | elective         | J441         |
    """),
    "health.ae_attendances": table("""
        record_id | arrival_date
        g1        | 2020-03-15
        g2        | 2021-06-30
        g2        | 2021-07-01
    """),
    "health.gp_consultations": table("""
        record_id | consultation_date | snomed_code:str
        g2        | 2020-02-27        | 35489007
        g2        | 2020-02-28        | 195967001
        g3        | 2020-02-29        | 73595000
    """),
    "health.eq5d": table("""
        record_id | response_date | mobility | self_care | usual_activities | pain_discomfort | anxiety_depression
        g1        | 2020-02-01    | 2        | 1         | 1                | 3               | 2
        g1        | 2020-09-10    | 1        | 1         | 1                | 1               | 1
        g1        | 2020-09-20    | 1        | 2         | 1                | 1               | 1
    """),
    "health.deaths": table("""
        record_id | date_of_death
        g4        | 2020-02-29
        g5        | 2019-05-01
    """),
    "employment.employment_spells": table("""
        record_id | start_date | end_date
        e1        | 2019-01-01 | 2020-03-13
        e1        | 2020-04-01 |
        e2        | 2020-01-01 |
    """),
    "employment.earnings": table("""
        record_id | pay_month  | gross_pay
        e1        | 2019-03-01 | 900.00
        e1        | 2019-04-01 | 1000.00
        e1        | 2020-03-01 | 500.50
        e1        | 2020-04-01 | 2000.00
    """),
    "employment.benefit_claims": table("""
        record_id | claim_start | claim_end  | sickness_related
        e2        | 2021-01-01  | 2021-03-31 | Y
        e2        | 2021-01-01  |            | N
    """),
}

PERSONS = table("""
    person_id | treated | age_band | sex | imd_quintile | ltc_count | employed_pre | earnings_pre | emergency_admissions_pre | ae_attendances_pre | gp_consultations_pre | eq5d_pre:str | died | followup_days
    alice     | 1       | 16-54    | F   | 2            | 3         | 0            | 1500.5       | 2                        | 0                  | 0                    | 21132        | 0    | 1461
    bob       | 0       | 55+      | M   | 4            | 0         | 1            | 0.0          | 0                        | 0                  | 1                    |              | 0    | 123
    carol     | 1       |          | F   | 3            | 1         | 0            | 0.0          | 0                        | 0                  | 0                    |              | 1    | 1
    fay       | 1       | 16-54    | F   |              |           | 0            | 0.0          | 0                        | 0                  | 0                    |              | 0    | 1278
""")

PANEL = table("""
    person_id | period | period_start_month | period_end_month | time_at_risk_days | emergency_admissions | ae_attendances | gp_consultations | bed_days | eq5d:str | employed_days | earnings | sickness_benefit_days | respiratory_admissions | falls_admissions | mental_health_contacts
    alice     | 0      | 0                  | 6                | 184               | 1                    | 1              | 0                | 5        | 11111    | 167           | 2000.0   | 0 | 1 | 0 | 0
    alice     | 1      | 6                  | 12               | 181               | 0                    | 0              | 0                | 0        | 12111    | 181           | 0.0      | 0 | 0 | 0 | 0
    alice     | 2      | 12                 | 24               | 365               | 0                    | 0              | 0                | 0        |          | 365           | 0.0      | 0 | 0 | 0 | 0
    alice     | 3      | 24                 | 36               | 365               | 0                    | 0              | 0                | 0        |          | 365           | 0.0      | 0 | 0 | 0 | 0
    alice     | 4      | 36                 | 48               | 366               | 0                    | 0              | 0                | 0        |          | 366           | 0.0      | 0 | 0 | 0 | 0
    bob       | 0      | 0                  | 6                | 123               | 0                    | 1              | 0                | 0        |          | 123           | 0.0      | 32 | 0 | 0 | 0
    carol     | 0      | 0                  | 6                | 1                 | 0                    | 0              | 1                | 0        |          | 0             | 0.0      | 0 | 0 | 0 | 1
    fay       | 0      | 0                  | 6                | 181               | 0                    | 0              | 0                | 0        |          | 0             | 0.0      | 0 | 0 | 0 | 0
    fay       | 1      | 6                  | 12               | 184               | 0                    | 0              | 0                | 0        |          | 0             | 0.0      | 0 | 0 | 0 | 0
    fay       | 2      | 12                 | 24               | 366               | 0                    | 0              | 0                | 0        |          | 0             | 0.0      | 0 | 0 | 0 | 0
    fay       | 3      | 24                 | 36               | 365               | 0                    | 0              | 0                | 0        |          | 0             | 0.0      | 0 | 0 | 0 | 0
    fay       | 4      | 36                 | 48               | 182               | 0                    | 0              | 0                | 0        |          | 0             | 0.0      | 0 | 0 | 0 | 0
""")

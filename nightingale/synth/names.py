"""Name vocabularies (Faker's en_GB lists, read once) and the nicknames people use.

Faker is used only as a source of word lists: drawing names is one vectorised numpy
choice per chunk, not a Faker call per row. Faker's first-name lists are ordered by
popularity, so ranks get Zipf-like weights; surnames carry Faker's own frequencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

ObjectArray = npt.NDArray[np.object_]

# Formal name -> nicknames seen in records (only names present in the vocabularies count).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Richard": ("Dick", "Rich", "Rick"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Michael": ("Mike", "Mick"),
    "Christopher": ("Chris",),
    "Anthony": ("Tony", "Ant"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Andrew": ("Andy", "Drew"),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Joseph": ("Joe", "Joey"),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Jonathan": ("Jon", "Jonny"),
    "Nicholas": ("Nick",),
    "Alexander": ("Alex",),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Kenneth": ("Ken",),
    "Timothy": ("Tim",),
    "Peter": ("Pete",),
    "David": ("Dave",),
    "Philip": ("Phil",),
    "Gregory": ("Greg",),
    "Frederick": ("Fred",),
    "Leonard": ("Len",),
    "Raymond": ("Ray",),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Catherine": ("Cathy", "Kate"),
    "Katherine": ("Kathy", "Kate"),
    "Rebecca": ("Becky", "Becca"),
    "Jennifer": ("Jen", "Jenny"),
    "Samantha": ("Sam",),
    "Victoria": ("Vicky",),
    "Patricia": ("Pat", "Trish"),
    "Susan": ("Sue",),
    "Deborah": ("Debbie", "Deb"),
    "Christine": ("Chris",),
    "Jacqueline": ("Jackie",),
    "Alexandra": ("Alex",),
    "Abigail": ("Abbie", "Abby"),
    "Kimberley": ("Kim",),
    "Pamela": ("Pam",),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Nicola": ("Nicky",),
    "Charlotte": ("Charlie", "Lottie"),
    "Eleanor": ("Ellie",),
    "Dorothy": ("Dot",),
}


@dataclass(frozen=True)
class Vocabulary:
    """Name lists and their sampling weights."""

    male: ObjectArray
    female: ObjectArray
    first_weights: npt.NDArray[np.float64]
    surnames: ObjectArray
    surname_weights: npt.NDArray[np.float64]

    def forenames(self, rng: np.random.Generator, female: npt.NDArray[np.bool_]) -> ObjectArray:
        """One forename per person, by sex."""
        index = rng.choice(len(self.first_weights), size=len(female), p=self.first_weights)
        return np.where(female, self.female[index], self.male[index])

    def draw_surnames(self, rng: np.random.Generator, size: int) -> ObjectArray:
        """Surnames with Faker's frequencies."""
        result: ObjectArray = self.surnames[
            rng.choice(len(self.surnames), size=size, p=self.surname_weights)
        ]
        return result


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The en_GB vocabularies, read from Faker once per process."""
    from faker.providers.person.en_GB import Provider

    size = min(len(Provider.first_names_male), len(Provider.first_names_female))
    ranks = np.arange(size, dtype=np.float64)
    first_weights = 1.0 / (ranks + 8.0)
    surnames = list(Provider.last_names.keys())
    weights = np.array(list(Provider.last_names.values()), dtype=np.float64)
    return Vocabulary(
        male=np.array(Provider.first_names_male[:size], dtype=object),
        female=np.array(Provider.first_names_female[:size], dtype=object),
        first_weights=first_weights / first_weights.sum(),
        surnames=np.array(surnames, dtype=object),
        surname_weights=weights / weights.sum(),
    )


def nickname_for(name: str, rng: np.random.Generator) -> str | None:
    """A nickname of ``name``, or None if it has none."""
    options = NICKNAMES.get(name)
    if not options:
        return None
    return options[int(rng.integers(0, len(options)))]

"""Make the shipped example county's place and practice tables (SYNTHETIC; seeded).

    python experiments/make_example_county.py [--seed 15] [--out configs/places/example_county]

About 700,000 residents in five districts: a city of about 170,000 (IMD deciles 1-10, most
deprived and least deprived neighbourhoods side by side) and four districts of market towns and
villages (towns mostly deciles 3-8, villages mostly 5-10 with a few deprived rural areas).
Areas are LSOA-sized (about 1,400-1,800 residents each; ONS LSOAs hold 1,000-3,000). Areas are
grouped into primary care networks of 30,000-50,000 registered patients (a town and its
villages, or part of the city), each with three to five practices whose list sizes add up to the
PCN's population (so each area's residents, shared among its PCN's practices in proportion to
list size, reproduce the list sizes), and with link-worker FTE of about one post per 20,000
patients (ARRS posts employed by PCNs, 002:149; contracts of 2, 4 and 8 posts per LIO, 002:172).

Every figure here is invented to be plausible in shape (age structure by settlement type,
limitation rising with deprivation and age, households of about 2.4): no row describes a real
area, and no place name is real. docs/places.md says how to build the same tables from public
statistics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.topology.places import posts_at_largest_practices

ROOT = Path(__file__).resolve().parents[1]

# (district, kind, settlement, residents): the city, towns, and each district's villages
SETTLEMENTS = [
    ("Northford", "city", "Northford", 170_000),
    ("Vale of Eyre", "town", "Abbotsbridge", 30_000),
    ("Vale of Eyre", "town", "Kingsmere", 17_000),
    ("Vale of Eyre", "villages", "Eyre villages", 86_000),
    ("West Downs", "town", "Harwell Cross", 24_000),
    ("West Downs", "town", "Stowell", 14_000),
    ("West Downs", "town", "Ashcombe", 9_000),
    ("West Downs", "villages", "Downs villages", 85_000),
    ("Marl Valley", "town", "Marlbury", 36_000),
    ("Marl Valley", "town", "Eyford", 16_000),
    ("Marl Valley", "villages", "Marl villages", 84_000),
    ("Highmoor", "town", "Banbridge", 31_000),
    ("Highmoor", "town", "Thornley", 12_000),
    ("Highmoor", "villages", "Moor villages", 86_000),
]
AREA_SIZE = {"city": 1650, "town": 1600, "villages": 1450}
# IMD decile probabilities (1 = most deprived) by settlement type
DECILES = {
    "city": [0.13, 0.11, 0.10, 0.09, 0.08, 0.08, 0.09, 0.10, 0.11, 0.11],
    "town": [0.03, 0.06, 0.12, 0.14, 0.15, 0.15, 0.13, 0.10, 0.07, 0.05],
    "villages": [0.0, 0.01, 0.03, 0.05, 0.09, 0.14, 0.18, 0.18, 0.17, 0.15],
}
# age-band shares (0-15, 16-64, 65+) by settlement type; deprivation adds children
AGES = {"city": (0.18, 0.70, 0.12), "town": (0.19, 0.61, 0.20), "villages": (0.17, 0.57, 0.26)}
FEMALE = {"0_15": 0.49, "16_64": 0.50, "65_plus": 0.55}
HOUSEHOLD_SIZE = {"city": 2.45, "town": 2.35, "villages": 2.30}
RURAL_CODES = ["D1", "E1", "E1", "E1", "F1"]  # rural town fringe, villages, hamlets
PCN_TARGET = 40_000
LIST_TARGET = 11_000
PATIENTS_PER_LW_FTE = 20_000


def make_areas(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for district, kind, settlement, residents in SETTLEMENTS:
        n_areas = max(1, int(round(residents / AREA_SIZE[kind])))
        sizes = rng.multinomial(residents - 1000 * n_areas,
                                rng.dirichlet(np.full(n_areas, 40.0))) + 1000
        for size in sizes:
            decile = int(rng.choice(10, p=DECILES[kind])) + 1
            dep = (10 - decile) / 9  # 1 most deprived .. 0 least
            child, _, old = AGES[kind]
            child = child + 0.05 * dep + rng.normal(0, 0.015)
            old = max(0.05, old - 0.06 * dep + rng.normal(0, 0.03))
            shares = np.array([child, 1 - child - old, old])
            counts = rng.multinomial(int(size), shares / shares.sum())
            row = {"area": f"EXC{len(rows) + 1:04d}", "district": district,
                   "settlement": settlement, "settlement_type": kind}
            for band, c in zip(("0_15", "16_64", "65_plus"), counts, strict=True):
                f = rng.binomial(int(c), FEMALE[band])
                row[f"female_{band}"] = int(f)
                row[f"male_{band}"] = int(c - f)
            s65 = counts[2] / size
            row["imd_decile"] = decile
            row["rural_urban"] = ("C1" if kind != "villages"
                                  else RURAL_CODES[int(rng.integers(len(RURAL_CODES)))])
            lot = 0.035 + 0.08 * dep + 0.15 * (s65 - 0.18) + rng.normal(0, 0.008)
            little = 0.085 + 0.035 * dep + 0.10 * (s65 - 0.18) + rng.normal(0, 0.008)
            row["share_limited_a_little"] = round(float(np.clip(little, 0.03, 0.3)), 4)
            row["share_limited_a_lot"] = round(float(np.clip(lot, 0.02, 0.3)), 4)
            hh = HOUSEHOLD_SIZE[kind] * (1 + 0.06 * dep) + rng.normal(0, 0.08)
            row["households"] = int(round(size / np.clip(hh, 1.6, 3.2)))
            digital = 0.97 - 0.25 * s65 - 0.04 * dep + rng.normal(0, 0.01)
            row["share_digital"] = round(float(np.clip(digital, 0.6, 0.99)), 4)
            rows.append(row)
    return pd.DataFrame(rows)


def assign_pcns(areas: pd.DataFrame) -> pd.DataFrame:
    """Cut each district into PCNs of about PCN_TARGET patients: towns with the villages listed
    after them (the nearest villages are shared out town by town), the city in blocks."""
    pcn = np.empty(len(areas), object)
    for district, d in areas.groupby("district", sort=False):
        order = list(d.index)
        villages = [i for i in order if areas.at[i, "rural_urban"] != "C1"]
        urban = [i for i in order if areas.at[i, "rural_urban"] == "C1"]
        if villages:  # interleave: each town's areas followed by its share of the villages
            groups = [list(g.index) for _, g in d.loc[urban].groupby("settlement", sort=False)]
            chunks = np.array_split(np.array(villages), len(groups))
            order = [i for g, c in zip(groups, chunks, strict=True) for i in [*g, *c.tolist()]]
        pop = areas.loc[order, [c for c in areas.columns
                                if c.startswith(("female_", "male_"))]].sum(axis=1)
        k = max(1, int(round(pop.sum() / PCN_TARGET)))
        edges = np.cumsum(pop.to_numpy()) / pop.sum() * k
        block = np.minimum(np.floor(edges - 1e-9).astype(int), k - 1)
        for i, b in zip(order, block, strict=True):
            pcn[i] = f"{district} PCN {b + 1}"
    areas = areas.copy()
    areas["pcn"] = pcn
    return areas


def make_practices(areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    pop = areas[[c for c in areas.columns if c.startswith(("female_", "male_"))]].sum(axis=1)
    rows = []
    for pcn, d in areas.assign(population=pop).groupby("pcn", sort=False):
        total = int(d["population"].sum())
        k = int(np.clip(round(total / LIST_TARGET), 3, 5))
        w = rng.dirichlet(np.full(k, 6.0))
        sizes = np.floor(w * total).astype(int)
        sizes[0] += total - int(sizes.sum())
        homes = d[d["rural_urban"] == "C1"]["area"].tolist() or d["area"].tolist()
        fte_total = max(1.0, round(2 * total / PATIENTS_PER_LW_FTE) / 2)
        fte = posts_at_largest_practices(sizes, fte_total)
        for j in range(k):
            rows.append({"practice": f"P{len(rows) + 1:03d}", "pcn": pcn,
                         "area": homes[int(rng.integers(len(homes)))],
                         "list_size": int(sizes[j]), "link_worker_fte": float(fte[j])})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", type=Path, default=ROOT / "configs/places/example_county")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    areas = assign_pcns(make_areas(rng))
    practices = make_practices(areas, rng)
    args.out.mkdir(parents=True, exist_ok=True)
    cols = ["area", "district", "pcn", "settlement", "female_0_15", "female_16_64",
            "female_65_plus", "male_0_15", "male_16_64", "male_65_plus", "imd_decile",
            "rural_urban", "share_limited_a_little", "share_limited_a_lot", "households",
            "share_digital", "settlement_type"]
    areas[cols].to_csv(args.out / "areas.csv", index=False)
    practices.to_csv(args.out / "practices.csv", index=False)
    pop = areas[cols[4:10]].sum(axis=1)
    pcn_pop = pop.groupby(areas["pcn"]).sum()
    print(f"{len(areas)} areas, {int(pop.sum()):,} residents, {areas['district'].nunique()} "
          f"districts, {len(pcn_pop)} PCNs ({int(pcn_pop.min()):,}-{int(pcn_pop.max()):,}), "
          f"{len(practices)} practices (lists {practices['list_size'].min():,}-"
          f"{practices['list_size'].max():,}, mean {practices['list_size'].mean():,.0f}), "
          f"deciles {sorted(int(d) for d in areas['imd_decile'].unique())}, link-worker FTE "
          f"{practices['link_worker_fte'].sum():g}")


if __name__ == "__main__":
    main()

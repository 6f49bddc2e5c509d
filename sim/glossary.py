"""One glossary of the headline outcomes: the words the command line, the run summary, the
dashboard, its exports and the after-action report use for the figures a room looks at.

Each :class:`Term` names one figure once: its label (the words on every screen), the daily
column it is read from and, where a run's ``summary.json`` has the same figure, that key. Its
unit and meaning come from the data dictionary (:mod:`sim.outputs`), so they cannot drift from
the output files; only the two money figures the dashboard reads from the model (reserves and
core funding, not output columns) carry their own.

Two words that used to mean different things now have one meaning each:

- **referrals to link workers**: referrals into link-worker services from every source (GPs,
  residents themselves, signposting, VCSE groups, statutory services); ``referrals_total`` in
  the summary, ``new_referrals_total`` in the daily table;
- **onward referrals**: referrals from GPs and link workers to VCSE groups, counted by result
  (accepted, declined, to a closed group); ``referral_results_*`` and
  ``new_referrals_result_*``. A **bounced hand-back** is a client handed back to statutory
  services who was not taken on (``referral_results_bounced``).

Reading a daily table (:func:`value`): a *level* is the figure on the last day of the table, a
*total* sums a daily flow since day 1 (equal to the summary's total over a run), a *mean* is the
mean days from need onset to first support since day 1.

This module imports no model code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim import outputs

READINGS = ("level", "total", "mean")


@dataclass(frozen=True)
class Term:
    """One headline figure. ``column``: the daily column it is read from (the data dictionary's
    name); ``summary``: the run summary's key with the same figure over a run (None if the
    summary has none); ``reading``: level, total or mean (see the module)."""

    key: str
    label: str
    column: str | None
    reading: str = "level"
    summary: str | None = None
    own_unit: str = ""  # only for figures that are not output columns
    own_meaning: str = ""

    @property
    def unit(self) -> str:
        if self.column is None:
            return self.own_unit
        if self.summary is not None and self.reading != "level":
            return outputs.get(self.summary, "summary").unit
        return outputs.get(self.column, "timeseries").unit

    @property
    def meaning(self) -> str:
        if self.column is None:
            return self.own_meaning
        if self.summary is not None and self.reading != "level":
            return outputs.get(self.summary, "summary").meaning
        return outputs.get(self.column, "timeseries").meaning

    @property
    def chart_column(self) -> str | None:
        """The daily column a chart draws: the level itself, the running total of a flow
        (``cum_...``, made by :func:`sim.metrics.finalise` or by the dashboard for a flow
        without one), or the running mean ``mean_days_to_support_cum``."""
        if self.column is None:
            return None
        if self.reading == "total" and self.column.startswith("new_"):
            return "cum_" + self.column.removeprefix("new_")
        if self.reading == "mean":
            return "mean_days_to_support_cum"
        return self.column

    @property
    def heading(self) -> str:
        """``label (unit)``, for a table's header."""
        return f"{self.label} ({self.unit})"


TERMS: tuple[Term, ...] = (
    Term("unmet_need", "residents in unmet need", "n_unmet_need"),
    Term("unmet_need_days", "unmet need-days", "n_unmet_need", "total", "unmet_need_days"),
    Term("days_to_first_support", "mean days to first support", "sum_days_to_first_support",
         "mean", "mean_days_to_first_support"),
    Term("waiting", "waiting for a link worker", "n_pathway_waiting"),
    Term("volunteers_registered", "volunteers registered", "n_vol_registered",
         summary="final_n_vol_registered"),
    Term("volunteers_active", "volunteers active", "n_vol_active",
         summary="final_n_vol_active"),
    Term("volunteers_idle", "volunteers idle", "n_vol_idle", summary="final_n_vol_idle"),
    Term("referrals_to_link_workers", "referrals to link workers", "new_referrals_total",
         "total", "referrals_total"),
    Term("onward_accepted", "onward referrals accepted", "new_referrals_result_accepted",
         "total", "referral_results_accepted"),
    Term("onward_declined", "onward referrals declined", "new_referrals_result_declined",
         "total", "referral_results_declined"),
    Term("onward_stale", "onward referrals to closed groups", "new_referrals_result_stale",
         "total", "referral_results_stale"),
    Term("handbacks_bounced", "bounced hand-backs", "new_referrals_result_bounced", "total",
         "referral_results_bounced"),
    Term("groups_open", "groups open", "n_groups_open", summary="final_n_groups_open"),
    Term("groups_listed", "groups on the directory", "n_groups_listed"),
    Term("groups_suspended", "groups suspended", "n_groups_suspended"),
    Term("groups_closed_funding", "groups closed for want of money",
         "new_groups_closed_funding", "total", "groups_closed_funding"),
    Term("funding_spent", "money spent by organisations", "new_funding_spent", "total",
         "funding_spent"),
    Term("life_satisfaction", "life satisfaction (mean ONS4)",
         "mean_wellbeing_life_satisfaction", summary="final_mean_wellbeing_life_satisfaction"),
    Term("anxiety", "anxiety (mean ONS4)", "mean_wellbeing_anxiety",
         summary="final_mean_wellbeing_anxiety"),
    Term("reserves", "group reserves", None, own_unit="GBP",
         own_meaning="money held by open VCSE groups (balances above zero), on the day shown; "
                     "read from the model by the dashboard, not an output column"),
    Term("core_funding", "core funding a year", None, own_unit="GBP per year",
         own_meaning="open VCSE groups' annual core funding after any cuts, on the day shown; "
                     "read from the model by the dashboard, not an output column"),
)
_BY_KEY = {t.key: t for t in TERMS}


def term(key: str) -> Term:
    """The term ``key`` (KeyError naming the known keys otherwise)."""
    if key not in _BY_KEY:
        raise KeyError(f"no glossary term {key!r}; known: {', '.join(_BY_KEY)}")
    return _BY_KEY[key]


def label(key: str) -> str:
    return term(key).label


def value(ts, key: str) -> float | int | None:
    """The term's figure from a daily table (pandas) whose last row is the day shown: the
    level that day, the total since day 1, or the mean days to first support since day 1
    (None if the table is empty or the mean is undefined)."""
    t = term(key)
    if t.column is None:
        raise KeyError(f"{key} is not read from the daily table")
    if ts is None or len(ts) == 0:
        return None
    whole = outputs.get(t.column, "timeseries").dtype.startswith("int")
    if t.reading == "level":
        x = float(ts[t.column].iloc[-1])
    else:
        x = float(ts[t.column].sum())
    if t.reading != "mean":
        if not math.isfinite(x):
            return None
        return int(round(x)) if whole else round(x, 2)
    firsts = float(ts["new_first_support"].sum())
    if not firsts:
        return None
    x = float(ts[t.column].sum()) / firsts
    return round(x, 1) if math.isfinite(x) else None


def cli_summary(summary: dict) -> str:
    """The headline figures of a run's summary for the command line, in the glossary's words:
    ``unmet need-days 1234, referrals to link workers 56``."""
    parts = []
    for key in ("unmet_need_days", "referrals_to_link_workers"):
        t = term(key)
        parts.append(f"{t.label} {_plain(summary.get(t.summary, 0))}")
    return ", ".join(parts)


def _plain(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(round(x, 2) if isinstance(x, float) else x)


def markdown() -> str:
    """The headline terms as a Markdown table (label, unit, meaning, where to find it)."""
    rows = ["| label | unit | meaning | daily column | summary key |", "|---|---|---|---|---|"]
    for t in TERMS:
        rows.append(f"| {t.label} | {t.unit} | {t.meaning} | "
                    f"{f'`{t.column}`' if t.column else '(dashboard)'} | "
                    f"{f'`{t.summary}`' if t.summary else ''} |")
    return "\n".join(rows) + "\n"

"""Simulated evaluation layer: ONS4 recorded at baseline, end of support and a 3-6 month
follow-up, with realistic attrition (only ~10% of real records had a follow-up, 004:506)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.state import ONS4

if TYPE_CHECKING:
    from sim.model import CommunityModel


@dataclass
class Record:
    resident: int
    start_day: int
    baseline: np.ndarray | None = None
    end: np.ndarray | None = None
    followup: np.ndarray | None = None
    end_day: int = -1


@dataclass
class Evaluation:
    model: CommunityModel
    records: list[Record] = field(default_factory=list)
    open_records: dict[int, Record] = field(default_factory=dict)
    due: dict[int, list[Record]] = field(default_factory=dict)

    def baseline(self, i: int) -> None:
        """A client starts bespoke link-worker support."""
        m = self.model
        rec = Record(i, m.day)
        if m.streams.evaluation.random() < m.cfg.evaluation.p_baseline_recorded:
            rec.baseline = m.pop.wellbeing[i].copy()
        self.records.append(rec)
        self.open_records[i] = rec

    def end(self, i: int) -> None:
        """Bespoke support has ended; schedule the follow-up."""
        m, e = self.model, self.model.cfg.evaluation
        rec = self.open_records.pop(i, None)
        if rec is None:
            return
        rng = m.streams.evaluation
        rec.end_day = m.day
        if rng.random() < e.p_end_recorded:
            rec.end = m.pop.wellbeing[i].copy()
        if rng.random() < e.p_followup_response:
            day = m.day + int(rng.integers(e.followup_min_days, e.followup_max_days + 1))
            self.due.setdefault(day, []).append(rec)

    def step(self) -> None:
        for rec in self.due.pop(self.model.day, []):
            rec.followup = self.model.pop.wellbeing[rec.resident].copy()

    def summary(self) -> dict[str, float]:
        # records whose follow-up window has closed by the end of the run
        last = self.model.day - self.model.cfg.evaluation.followup_max_days
        recs = [r for r in self.records if 0 <= r.end_day <= last]
        out: dict[str, float] = {"eval_n_clients": len(self.records),
                                 "eval_n_followup_window_closed": len(recs)}
        with_base = [r for r in recs if r.baseline is not None]
        complete = [r for r in with_base if r.followup is not None]
        out["eval_n_baseline"] = len(with_base)
        out["eval_n_followup_complete"] = len(complete)
        out["eval_frac_followup_complete"] = len(complete) / len(recs) if recs else float("nan")
        for k, name in enumerate(ONS4):
            base = [r.baseline[k] for r in complete]
            fol = [r.followup[k] for r in complete]
            out[f"eval_mean_baseline_{name}"] = float(np.mean(base)) if base else float("nan")
            out[f"eval_mean_change_{name}"] = (float(np.mean(np.subtract(fol, base)))
                                               if base else float("nan"))
        return out

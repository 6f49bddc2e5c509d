"""A plain per-agent Mesa implementation of the resident daily update: the benchmark's baseline.

One ``BaselineResident`` (a ``mesa.Agent``) per resident holds its own state in Python scalars
and, each day, in the order of the vectorised model (``sim.model.CommunityModel`` docstring):

1. need onset with the same probability formula as ``sim.processes.need.onset_probability``
   (baseline rate x limitation, age, sex and deprivation multipliers x the emergency
   multiplier) and the same level / hidden-issue draw from one uniform;
2. unmet need escalates or resolves unaided (``need.day``);
3. group, informal and statutory support that is due ends: the need resolves or drops one level
   (``need.day`` / ``need.complete_support``);
4. a resident in need with nothing under way seeks help with ``p_seek_per_day`` and chooses a
   channel with the weights of ``sim.processes.help_seeking.channel_weights``;
5. ONS4 wellbeing moves towards the target of its situation (``sim.processes.wellbeing``);
6. unmet need-days are counted.

The model calls ``self.agents.shuffle_do("step")`` once per day and collects a daily row of need
stocks, flows, channel choices and mean wellbeing (kept as running counters, the cheap way a
per-agent model would). Random numbers come from ``self.random`` (the model's ``random.Random``).

Scope: this is the residents' own work. Routing a help seeker to a GP practice, link worker,
group or intermediary is done by the organisation agents, which are ordinary per-agent Python in
both implementations; the baseline records the chosen channel and leaves routing out, while the
vectorised model's timing includes routing, organisations, volunteers and full metrics, so the
ratio the benchmark reports understates the speed-up. The population (attributes, ties, GP
access, day-0 need and wellbeing) is taken from a ``CommunityModel`` built with the same
configuration, so both start from the same residents.
"""

from __future__ import annotations

import copy
import time

import mesa

from sim.model import CommunityModel
from sim.params import Config
from sim.processes.help_seeking import CHANNELS

NONE, LOW, MODERATE, COMPLEX = 0, 1, 2, 3
P_NONE, P_WAITING, P_LINK_WORKER, P_GROUP = 0, 1, 2, 3
STOCKS = ("n_in_need", "n_need_low", "n_need_moderate", "n_need_complex", "n_unmet_need")
FLOWS = ("new_need_onsets", "new_need_escalations", "new_need_self_resolved",
         "new_support_completed", "new_need_resolved_by_support", "new_help_seekers",
         *[f"new_channel_{c}" for c in CHANNELS])


class BaselineResident(mesa.Agent):
    """One resident, its state in plain attributes."""

    model: PerAgentModel

    def __init__(self, model: PerAgentModel, index: int, age: int, female: bool,
                 deprivation: int,
                 limitation: int, digital: bool, degree: int, gp_access: float,
                 lw_awareness: float, unit: int, need: int, pathway: int, until: int,
                 wellbeing: list[float]):
        super().__init__(model)
        self.index = index
        self.age = age
        self.female = female
        self.deprivation = deprivation
        self.limitation = limitation
        self.digital = digital
        self.degree = degree
        self.gp_access = gp_access
        self.lw_awareness = lw_awareness
        self.unit = unit
        self.need = need
        self.pathway = pathway
        self.until = until
        self.need_onset = -1
        self.hidden = False
        self.first_support = -1
        self.matched = False
        self.self_referred = False
        self.provider = -1
        self.episodes = 0
        self.ever_need = need > NONE
        self.unmet_days = 0
        self.wellbeing = wellbeing
        self.isolation = -model.cfg.wellbeing.isolation_penalty if degree == 0 else 0.0
        self.onset_p = self.onset_probability()

    def onset_probability(self) -> float:
        """Daily onset chance before the emergency multiplier (same formula as
        ``need.onset_probability``)."""
        p = self.model.cfg.need
        mult = 1.0
        if self.limitation == 1:
            mult *= p.mult_limitation_a_little
        elif self.limitation == 2:
            mult *= p.mult_limitation_a_lot
        if self.age >= 65:
            mult *= p.mult_age_65plus
        if self.age < 16:
            mult *= p.mult_child
        if self.female:
            mult *= p.mult_female
        mult *= p.mult_per_deprivation_quintile ** (5 - self.deprivation)
        return min(p.p_onset_per_day * mult, 1.0)

    def channel_weights(self) -> list[float]:
        """Weights of the five channels (same as ``help_seeking.channel_weights``)."""
        m, h = self.model, self.model.cfg.help_seeking
        digital = h.mult_self_referral_digital if self.digital else h.mult_self_referral_excluded
        return [h.weight_gp * self.gp_access,
                h.weight_self_referral * digital * self.lw_awareness,
                h.weight_informal * (self.degree > 0),
                h.weight_group * m.unit_has_groups[self.unit],
                h.weight_intermediary * m.unit_has_intermediary[self.unit]]

    def step(self) -> None:
        m = self.model
        p = m.cfg.need
        flows = m.flows
        day = m.steps
        rand = self.random.random
        # 1. onset
        if self.need == NONE:
            pr = self.onset_p * p.emergency_multiplier
            u = rand()
            if u < pr:
                v = u / pr
                self.need = (LOW if v < p.share_onset_low
                             else MODERATE if v < 1.0 - p.share_onset_complex else COMPLEX)
                self.hidden = (v * 997.0) % 1.0 < p.p_hidden
                self.need_onset = day
                self.first_support = -1
                self.matched = False
                self.self_referred = False
                self.episodes += 1
                self.ever_need = True
                flows["new_need_onsets"] += 1
        # 2. unmet need escalates or resolves unaided
        if self.need > NONE and self.pathway <= P_WAITING:
            r = rand()
            lvl = self.need
            if lvl == LOW:
                p_res, p_esc = p.p_self_resolve_low_per_day, p.p_escalate_low_per_day
            elif lvl == MODERATE:
                p_res, p_esc = p.p_self_resolve_moderate_per_day, p.p_escalate_moderate_per_day
            else:
                p_res, p_esc = p.p_self_resolve_complex_per_day, 0.0
            if r < p_res:
                self.need = NONE
                self.pathway = P_NONE
                flows["new_need_self_resolved"] += 1
            elif r < p_res + p_esc:
                self.need += 1
                flows["new_need_escalations"] += 1
        # 3. support that is due ends
        if self.pathway >= P_GROUP and self.until <= day:
            self.complete_support()
        # 4. help seeking and the channel
        if self.need > NONE and self.pathway == P_NONE and (
                rand() < m.cfg.help_seeking.p_seek_per_day):
            w = self.channel_weights()
            total = sum(w)
            if total > 0:
                x = rand() * total
                c, acc = 0, w[0]
                while c < 4 and x >= acc:
                    c += 1
                    acc += w[c]
                flows["new_help_seekers"] += 1
                flows[m.channel_flow[c]] += 1
        # 5. wellbeing
        if self.need == NONE:
            target = m.wellbeing_targets[0]
        else:
            target = m.wellbeing_targets[2 if self.pathway >= P_LINK_WORKER else 1]
        rate = m.cfg.wellbeing.adjust_per_day
        wb = self.wellbeing
        wb[0] += rate * (target[0] + self.isolation - wb[0])
        wb[1] += rate * (target[1] - wb[1])
        wb[2] += rate * (target[2] - wb[2])
        wb[3] += rate * (target[3] - wb[3])
        m.wellbeing_sum[0] += wb[0]
        m.wellbeing_sum[1] += wb[1]
        m.wellbeing_sum[2] += wb[2]
        m.wellbeing_sum[3] += wb[3]
        # 6. stocks for today's row
        if self.need > NONE:
            stocks = m.stocks
            stocks[self.need] += 1
            if self.pathway <= P_WAITING:
                self.unmet_days += 1
                stocks[4] += 1

    def complete_support(self) -> None:
        """Support has ended: the need resolves, or drops one level, and support stops."""
        m, p = self.model, self.model.cfg.need
        self.provider = -1
        p_res = p.p_resolve_complex_on_completion if self.need >= COMPLEX \
            else p.p_resolve_on_completion
        if self.random.random() < p_res:
            self.need = NONE
            m.flows["new_need_resolved_by_support"] += 1
        else:
            self.need = max(self.need - 1, LOW)
        self.pathway = P_NONE
        m.flows["new_support_completed"] += 1


class PerAgentModel(mesa.Model):
    """Residents as one Mesa agent each, stepped with ``shuffle_do``; one step is one day."""

    def __init__(self, config: Config | None = None):
        cfg = copy.deepcopy(config) if config is not None else Config()
        cfg.run.resident_agents = False
        cfg.run.burn_in_days = 0  # the constructed state: the baseline has no burn-in
        source = CommunityModel(cfg)  # same residents, ties and day-0 state
        self.source = source
        super().__init__(rng=cfg.run.seed)
        self.cfg = source.cfg
        self.unit_has_groups = source.unit_has_groups.tolist()
        self.unit_has_intermediary = source.unit_has_intermediary.tolist()
        self.wellbeing_targets = source.wellbeing_targets.astype(float).tolist()
        self.channel_flow = [f"new_channel_{c}" for c in CHANNELS]
        self.rows: list[dict] = []
        self.flows: dict[str, int] = {}
        self.stocks = [0] * 5
        self.wellbeing_sum = [0.0] * 4
        pop = source.pop
        columns = (pop.age.tolist(), pop.female.tolist(), pop.deprivation.tolist(),
                   pop.limitation.tolist(), pop.digital.tolist(), pop.degree.tolist(),
                   source.gp_access[pop.gp].tolist(), source.lw_awareness[pop.unit].tolist(),
                   pop.unit.tolist(), pop.need.tolist(), pop.pathway.tolist(), pop.until.tolist(),
                   pop.wellbeing.astype(float).tolist())
        for index, values in enumerate(zip(*columns, strict=True)):
            BaselineResident(self, index, *values)
        self.n = pop.n

    def step(self) -> None:
        self.flows = dict.fromkeys(FLOWS, 0)
        self.stocks = [0] * 5
        self.wellbeing_sum = [0.0] * 4
        self.agents.shuffle_do("step")
        s = self.stocks
        row = {"day": self.steps, "n_in_need": s[1] + s[2] + s[3], "n_need_low": s[1],
               "n_need_moderate": s[2], "n_need_complex": s[3], "n_unmet_need": s[4]}
        row.update(self.flows)
        for k, name in enumerate(("life_satisfaction", "worthwhile", "happiness", "anxiety")):
            row[f"mean_wellbeing_{name}"] = self.wellbeing_sum[k] / self.n
        self.rows.append(row)

    def run(self, days: int) -> None:
        for _ in range(days):
            self.step()


def timed_run(config: Config, days: int) -> dict:
    """Build and run the baseline; returns build/run seconds and resident-days per second."""
    t0, c0 = time.perf_counter(), time.process_time()
    model = PerAgentModel(config)
    t1, c1 = time.perf_counter(), time.process_time()
    model.run(days)
    t2, c2 = time.perf_counter(), time.process_time()
    return {"n_residents": model.n, "days": days, "build_s": t1 - t0, "run_s": t2 - t1,
            "build_cpu_s": c1 - c0, "run_cpu_s": c2 - c1,
            "resident_days_per_s": model.n * days / (t2 - t1), "rows": model.rows}

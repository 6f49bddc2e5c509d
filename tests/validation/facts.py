"""Every fact ID of SOURCES_EXTRACT.md section 5, and what the suite does with it.

Section 5 numbers its facts SF1-SF40 with gaps: SF3, SF6, SF13, SF17, SF18, SF20, SF24, SF27
and SF33 appear nowhere in SOURCES_EXTRACT.md (numbers left unassigned when the list was
edited), so they are listed here as such. The four boundary facts of 5.3 have no number in
the sources; they get ``5.3-...`` IDs. Scenario IDs of section 3 (``S23``, ``S27``, ``S47``,
``S48``) are listed where the suite tests them.

A fact's status is one of:

- ``tested``: at least one validation test carries ``@pytest.mark.fact(<id>, ...)``; which
  tests, and their verdicts, are in the generated results table (README.md) and
  ``results.json``;
- ``out of scope``: the model cannot represent it (the reason is given);
- ``level``: a level (a figure, not a comparison), checked by the calibration report
  (``experiments/calibrate.py`` -> docs/validation.md, tested in tests/test_calibrate.py);
- ``by design``: a boundary fact of 5.3 held by how the model is built, not by a test;
- ``unassigned``: the number does not exist in the sources.

``test_accounting.py`` asserts that every ID is accounted for exactly once, that every
validation fact test carries a valid fact marker whose ID is ``tested`` here with the same
grade, and that every ``tested`` ID has a test.
"""

from __future__ import annotations

from dataclasses import dataclass

GRADES = ("A", "B", "C", "-")  # "-": no grade in the sources (a recommendation, a 5.3 fact)
NATURES = ("emergent", "partly by construction", "by construction")
STATUSES = ("tested", "out of scope", "level", "by design", "unassigned")


@dataclass(frozen=True)
class Fact:
    grade: str
    status: str
    note: str = ""  # why (out of scope, level, by design, unassigned), or what is tested


UNASSIGNED = "no fact has this number in SOURCES_EXTRACT.md section 5 (the numbering skips it)"
CALIBRATION = "a level, checked by the calibration report (docs/validation.md)"

FACTS: dict[str, Fact] = {
    # 5.1 Volunteering and civil-emergency dynamics
    "SF1": Fact("A", "tested", "surge recruitment outruns onboarding"),
    "SF2": Fact("A", "tested", "preparedness shortens mobilisation"),
    "SF3": Fact("-", "unassigned", UNASSIGNED),
    "SF4": Fact("B", "tested", "hospital stand-down moves effort to communities"),
    "SF5": Fact("A", "tested", "longer waits lose volunteers"),
    "SF6": Fact("-", "unassigned", UNASSIGNED),
    "SF7": Fact("C", "tested", "passporting avoids repeat onboarding"),
    "SF8": Fact("B", "out of scope",
                "no system-wide coordination structure, oversight group, shared website or "
                "siloed recruitment: organisations recruit independently by construction"),
    "SF9": Fact("B", "out of scope",
                "no choice of recruitment level; applications go to the place's volunteer "
                "centre or a local group"),
    "SF10": Fact("C", "tested", "a place-based hub catches needs before they escalate"),
    "SF11": Fact("C", "out of scope",
                 "no epidemic or infection layer (SOURCES 4: only if an epidemic module "
                 "exists)"),
    "SF12": Fact("A", "tested", "mutual aid emerges unprompted, mostly outside referrals"),
    "SF13": Fact("-", "unassigned", UNASSIGNED),
    "SF14": Fact("B", "out of scope",
                 "roles have no design attribute; activation and retention do not depend on "
                 "co-design"),
    "SF15": Fact("A", "tested", "a crisis accelerates integration"),
    # 5.2 Social prescribing, infrastructure and funding dynamics
    "SF16": Fact("A", "tested", "link-worker upsurge overloads destinations"),
    "SF17": Fact("-", "unassigned", UNASSIGNED),
    "SF18": Fact("-", "unassigned", UNASSIGNED),
    "SF19": Fact("B", "out of scope",
                 "no link-worker hosting market: posts are attached to practices, hosts never "
                 "accept or decline contracts"),
    "SF20": Fact("-", "unassigned", UNASSIGNED),
    "SF21": Fact("B", "tested", "rural village vs urban estate"),
    "SF22": Fact("A", "tested", "funding volatility and cuts close groups"),
    "SF23": Fact("C", "tested", "complex referrals disrupt small groups"),
    "SF24": Fact("-", "unassigned", UNASSIGNED),
    "SF25": Fact("A", "tested", "no re-escalation route means bouncing"),
    "SF26": Fact("C", "tested", "triage gives faster decisions under demand > capacity "
                                "(the moderate-need concentration part is not shown)"),
    "SF27": Fact("-", "unassigned", UNASSIGNED),
    "SF28": Fact("B", "level", CALIBRATION + ": referral-source mix"),
    "SF29": Fact("B", "level", CALIBRATION + ": client mix"),
    "SF30": Fact("B", "level", CALIBRATION + ": wellbeing change"),
    "SF31": Fact("B", "level", CALIBRATION + ": follow-up attrition"),
    "SF32": Fact("B", "out of scope",
                 "grants start on their event day; there is no disbursement lag parameter"),
    "SF33": Fact("-", "unassigned", UNASSIGNED),
    "SF34": Fact("B", "tested", "co-location, warm handover and the GP engagement ramp"),
    "SF35": Fact("C", "out of scope", "channels carry no administrative overhead per referral"),
    "SF36": Fact("B", "tested", "specialist link workers level up reach"),
    "SF37": Fact("C", "out of scope",
                 "no commissioning mode and no inter-VCSE collaboration ties"),
    "SF38": Fact("B", "level", CALIBRATION + ": GP-VCSE degree"),
    "SF39": Fact("C", "tested", "taper concentrates risk at the end of year 3"),
    "SF40": Fact("C", "out of scope",
                 "no demand-growth path and no specialist services for social prescribing to "
                 "substitute"),
    # 5.3 Negative or boundary facts
    "5.3-demand-reduction": Fact(
        "-", "by design", "no test treats lower GP use as success (demand reduction is not a "
                          "universal success signal)"),
    "5.3-volunteer-supply": Fact("-", "tested", "volunteer supply is not the binding "
                                                "constraint at default emergency settings"),
    "5.3-not-clinical": Fact(
        "-", "by design", "volunteers do food, medicines and contact through the response "
                          "cell (sim/processes/emergency.py) and have no clinical role"),
    "5.3-rotherham": Fact("-", "out of scope", "no funding-follows-referral mechanism"),
    # Scenarios of section 3 the suite tests
    "S23": Fact("B", "tested", "LIO core funding cut or LIO absent: its functions fall, link "
                               "workers map groups themselves; with SF22, groups close and the "
                               "directory goes stale"),
    "S27": Fact("-", "tested", "agile commissioning (a recommendation; not reproduced)"),
    "S47": Fact("B", "tested", "an urban locality officer builds GP-community links"),
    "S48": Fact("B", "tested", "a parish council mobilises the village"),
}

# A reproduced grade-A or grade-B fact must also hold in >= this share of robustness draws.
ROBUST_SHARE = 0.8

"""Resident and volunteer state as numpy arrays (struct of arrays), and the state codes.

Residents are many and simple, so their state lives in arrays that vectorised processes update;
the Mesa ``Resident`` and ``Volunteer`` agents are views that read and write the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import scipy.sparse as sp


class Need(IntEnum):
    NONE = 0
    LOW = 1
    MODERATE = 2
    COMPLEX = 3


class Pathway(IntEnum):
    """Where a resident with a need currently is. NONE and WAITING count as unmet need."""

    NONE = 0
    WAITING = 1  # referred to a link worker: in the inbox or on the waiting list
    LINK_WORKER = 2  # light-touch or bespoke link-worker support
    GROUP = 3  # supported by a VCSE group
    INFORMAL = 4  # helped by ties, buddies or mutual aid
    STATUTORY = 5  # re-escalated to statutory services


DOMAINS = ("social", "emotional", "practical", "activity")
"""Need domains (what a need is about), index = code in ``Population.need_domain``; a group
offers a set of them (``VCSEGroup.offers``, a bit mask: bit d set if it offers domain d).
Social: isolation, loneliness (004:195, 780-784); emotional: mental wellbeing, anxiety, low mood
(002:368; 004:412, 436); practical: debt, benefits, housing, employment (004:96, 738-776);
activity: physical activity, arts, gardening (004:96, 386, 784)."""

SUPPORTED = (Pathway.LINK_WORKER, Pathway.GROUP, Pathway.INFORMAL, Pathway.STATUTORY)


class VolunteerState(IntEnum):
    NONE = 0  # not willing (or a child)
    LATENT = 1
    APPLIED = 2
    ONBOARDING = 3
    ACTIVE = 4
    IDLE = 5
    LAPSED = 6
    STOOD_DOWN = 7


REGISTERED = (VolunteerState.APPLIED, VolunteerState.ONBOARDING, VolunteerState.ACTIVE,
              VolunteerState.IDLE, VolunteerState.STOOD_DOWN)
TRAINED = (VolunteerState.ACTIVE, VolunteerState.IDLE)

ONS4 = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


class Codes:
    """An IntEnum's members as plain ints, for numpy expressions in hot paths.

    numpy treats an IntEnum member as a strongly typed int64: ``int8_array == Need.LOW``
    upcasts the whole array (about 10x slower) and ``array[i] == Need.LOW`` takes microseconds.
    ``NEED.LOW`` is the plain int 1: same value and results, int8 speed. Process modules import
    these under the enum's name (``from sim.state import NEED as Need``).
    """

    def __init__(self, enum: type[IntEnum]):
        self.enum = enum
        for member in enum:
            setattr(self, member.name, int(member))

    def __iter__(self):
        return (int(m) for m in self.enum)

    def __len__(self) -> int:
        return len(self.enum)


NEED = Codes(Need)
PATHWAY = Codes(Pathway)
VSTATE = Codes(VolunteerState)


@dataclass
class Population:
    """All per-resident state. Index i is resident i and node i of the social network."""

    unit: np.ndarray  # int32 neighbourhood unit
    household: np.ndarray  # int32
    age: np.ndarray  # int16 years
    female: np.ndarray  # bool
    deprivation: np.ndarray  # int8 IMD quintile 1 (most deprived) .. 5
    limitation: np.ndarray  # int8 0 none, 1 a little, 2 a lot
    digital: np.ndarray  # bool has digital access
    rural: np.ndarray  # bool
    gp: np.ndarray  # int32 index into model.gp_practices
    adjacency: sp.csr_matrix  # social ties (symmetric, 0/1)

    def __post_init__(self) -> None:
        n = self.n
        self.degree = np.diff(self.adjacency.indptr).astype(np.int32)
        # need and pathway
        self.need = np.zeros(n, np.int8)
        self.need_onset = np.full(n, -1, np.int32)
        self.hidden = np.zeros(n, bool)
        self.first_support = np.full(n, -1, np.int32)
        self.pathway = np.zeros(n, np.int8)
        self.until = np.zeros(n, np.int32)
        self.group_until = np.zeros(n, np.int32)  # end of group support begun under a link worker
        self.provider = np.full(n, -1, np.int32)  # group index while a group supports
        self.matched = np.zeros(n, bool)  # reached a destination in this episode
        self.disruptive = np.zeros(n, bool)  # placed in a group without inclusion capacity
        self.need_domain = np.zeros(n, np.int8)  # index into DOMAINS (drawn at onset)
        self.poor_fit = np.zeros(n, bool)  # placed by a link worker where its domain is not offered
        self.self_referred = np.zeros(n, bool)
        self.bounces = np.zeros(n, np.int16)
        # turned away by the statutory service after a hand-back and not yet referred back to
        # social prescribing (the 'gap in the middle', 004:318, 004:412)
        self.turned_away = np.zeros(n, bool)
        self.lw_referrals = np.zeros(n, np.int16)
        self.lw_referred_day = np.zeros(n, np.int32)  # day of the latest link-worker referral
        self.lw_warm = np.zeros(n, bool)  # that referral was a warm (in-person) handover
        self.lw_from_gp = np.zeros(n, bool)  # that referral came from the GP (no outcome yet)
        self.shielded = np.zeros(n, bool)
        self.episodes = np.zeros(n, np.int16)
        self.unmet_days = np.zeros(n, np.int32)
        self.ever_need = np.zeros(n, bool)
        self.ever_supported = np.zeros(n, bool)
        # wellbeing (ONS4, 0-10)
        self.wellbeing = np.zeros((n, 4), np.float32)
        # volunteering
        self.vstate = np.zeros(n, np.int8)
        self.vorg = np.full(n, -1, np.int32)  # organisation index in model.organisations
        self.vsince = np.zeros(n, np.int32)  # day the current state began
        self.vlast_task = np.full(n, -1, np.int32)
        self.goodwill = np.zeros(n, np.float32)
        self.vtrained_at = np.full(n, -1, np.int32)  # org whose training the volunteer holds
        self.nhs_volunteer = np.zeros(n, bool)
        # volunteer time (hours a week): offered, used this week (Monday to Sunday), and the
        # part of it that ongoing roles (buddying, response-cell support) take every week
        self.vhours_offer = np.zeros(n, np.float32)
        self.vhours_used = np.zeros(n, np.float32)
        self.vhours_committed = np.zeros(n, np.float32)
        self.vcommitted_until = np.zeros(n, np.int32)
        # volunteer management: the day of application until the first task (-1: none
        # pending), the day of a move between organisations until active there, whether
        # the current onboarding is a passported one (short local induction), and the
        # management hours already booked on the application or induction the volunteer is
        # waiting for (work carried over between days; 0 in every other state)
        self.vapplied_day = np.full(n, -1, np.int32)
        self.vmoved_day = np.full(n, -1, np.int32)
        self.vpassported = np.zeros(n, bool)
        self.vwork_hours = np.zeros(n, np.float64)

    @property
    def n(self) -> int:
        return int(self.unit.shape[0])

    def neighbours(self, i: int) -> np.ndarray:
        a = self.adjacency
        return a.indices[a.indptr[i]:a.indptr[i + 1]]

    def hours_left(self, idx: np.ndarray) -> np.ndarray:
        """Volunteer hours still free this week for residents ``idx``."""
        return self.vhours_offer[idx] - self.vhours_used[idx]

    def unmet(self) -> np.ndarray:
        """Mask of residents with a need and no support (including those waiting)."""
        return (self.need > 0) & (self.pathway <= int(Pathway.WAITING))  # int: no upcast

    def unmet_indices(self) -> np.ndarray:
        """``np.flatnonzero(self.unmet())`` in one compiled pass (a dense selection)."""
        from sim.kernels import need_and_pathway

        return need_and_pathway(self.need, self.pathway, 1, int(Pathway.WAITING))

    def volunteer_rows(self) -> np.ndarray:
        """The volunteers past latent (applied, onboarding, active, idle, lapsed or stood
        down: consecutive codes), in resident order: one pass over the volunteer states. They
        are a few per cent of the residents, so a phase in which nobody leaves the latent or
        unwilling states makes this list once and reads these rows instead of everyone's
        (``sim.processes.volunteering.step``, ``sim.processes.strain.step``)."""
        from sim.kernels import codes_between

        return codes_between(self.vstate, int(VolunteerState.APPLIED),
                             int(VolunteerState.STOOD_DOWN))

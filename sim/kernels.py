"""Compiled (numba) kernels for the daily metrics row and other once-a-day counts over the
population, where numpy is slow.

``wellbeing.mean(axis=0)`` on the (residents, 4) float32 scores is a row-by-row float32 sum in
numpy, driven one 4-element row at a time (about 20x slower than a compiled loop); the counts by
need level and pathway and by volunteer state replace several masks and int64 casts. Each
kernel computes exactly the numbers of the numpy expression in its docstring (same float32
additions in the same order, no fast-math), so outputs are byte-identical;
``tests/test_kernels.py`` checks each against its numpy reference. (Some sparse selections stay
in numpy: with plain-int codes numpy is as fast or faster there; selections over every resident
that a day makes several times, such as the residents in unmet need or the volunteers past
latent, are one compiled pass here: a branch where few positions are kept, branch-free writes
where most are. The wellbeing update is one pass here instead of
a gather and four (n, 4) passes; the same pass adds the day in unmet need and counts the
residents by need level and pathway for the daily row.)

The daily steps of small places are mostly fixed per-day overhead: numpy calls on arrays of a
few dozen organisations or volunteers cost a microsecond or more each whatever their length.
Kernels such as ``inductions_due``, ``hand_out_tasks`` and ``channel_weights`` do such chains
of small steps in one call, with the same values. (``book_in_queue_order``, which carries work
not finished over to later days, is checked against a plain-Python reference instead.)
"""

from __future__ import annotations

import ctypes
import math
import sys
import weakref

import numpy as np
from llvmlite import ir
from numba import njit, types, uint64
from numba.extending import intrinsic, overload

from sim import numba_boxing

numba_boxing.install()  # returned arrays boxed without a Python call each (before any compile)

# Eight one-byte codes (int8 need levels, pathways, volunteer states) read as one uint64 word
# and tested at once (SWAR): a sparse selection over every resident skips the words in which
# no code can match and visits only the bytes a word flags, instead of testing 3,000,000
# codes one by one (dense selections keep their branch-free loops: there it would cost more).
# The flags may include a few bytes that do not match (each visited byte is tested exactly as
# before) but never miss one, so the selections and counts are those of the plain loops.
_ONES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)
_BYTE_FROM_TOP = np.uint64(0x0001020304050607)  # byte j holds 7 - j
_LITTLE_ENDIAN = sys.byteorder == "little"  # code k of a word is its byte k


@njit(inline="always")
def _words(codes: np.ndarray) -> np.ndarray:
    """The first ``len(codes) // 8 * 8`` one-byte codes as uint64 words (a view)."""
    return codes[: codes.shape[0] // 8 * 8].view(np.uint64)


@njit(inline="always")
def _by_words(codes: np.ndarray) -> bool:
    """Whether ``codes`` can be read eight at a time: one-byte items, contiguous, on a
    little-endian machine (elsewhere the plain loops run)."""
    return _LITTLE_ENDIAN and codes.itemsize == 1 and codes.flags.c_contiguous


@njit(inline="always")
def _flag_at_least(w, lo: int):
    """Bit 7 of each byte of ``w`` whose code is ``lo`` or more (``1 <= lo <= 127``), and of
    any byte with bit 7 set (a negative code) and perhaps its neighbour above (a carry): every
    byte >= ``lo`` is flagged. Without bit-7 bytes no carry crosses a byte (a byte plus
    128 - lo stays below 256)."""
    return ((w + uint64(128 - lo) * _ONES) | w) & _HIGH


@njit(inline="always")
def _lowest_flagged(t) -> int:
    """The position (0 to 7) of the lowest byte flagged in ``t`` (bit 7 set; ``t`` not 0)."""
    low = t & (~t + uint64(1))  # 2 ** (8k + 7)
    return int(((low >> uint64(7)) * _BYTE_FROM_TOP) >> uint64(56))


@njit(inline="always")
def _n_flagged(t) -> int:
    """How many bytes of ``t`` are flagged (bit 7 set; every other bit clear)."""
    return int(((t >> uint64(7)) * _ONES) >> uint64(56))


@njit(cache=True, nogil=True)
def column_means_f32(w: np.ndarray) -> np.ndarray:
    """``w.mean(axis=0)`` for a C-ordered (n, k) float32 array: numpy sums axis 0 of such an
    array row by row in float32, then divides by n. (Four columns, the ONS4 scores, keep their
    sums in registers: the same additions in the same order.)"""
    n, k = w.shape
    acc = np.zeros(k, np.float32)
    if k == 4:
        a0 = a1 = a2 = a3 = np.float32(0.0)
        for i in range(n):
            a0 += w[i, 0]
            a1 += w[i, 1]
            a2 += w[i, 2]
            a3 += w[i, 3]
        acc[0], acc[1], acc[2], acc[3] = a0, a1, a2, a3
    else:
        for i in range(n):
            for j in range(k):
                acc[j] += w[i, j]
    return acc / np.float32(n)


@njit(cache=True, nogil=True)
def count_need_by_pathway(need: np.ndarray, pathway: np.ndarray, n_levels: int, n_paths: int
                          ) -> np.ndarray:
    """(n_levels, n_paths) counts of residents by need level and pathway."""
    out = np.zeros((n_levels, n_paths), np.int64)
    n_none = 0  # most residents: counted in a register, not a table cell
    for i in range(need.shape[0]):
        if need[i] == 0 and pathway[i] == 0:
            n_none += 1
        else:
            out[need[i], pathway[i]] += 1
    out[0, 0] += n_none
    return out


@njit(cache=True, nogil=True)
def count_codes(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``np.bincount(codes, minlength=n_codes)`` for small non-negative int8 codes."""
    lanes = np.zeros((4, n_codes), np.int64)  # four tables: runs of one code do not serialise
    n = codes.shape[0]
    for i in range(n):
        lanes[i & 3, codes[i]] += 1
    return lanes.sum(axis=0)


@njit(cache=True, nogil=True)
def count_fresh_unmet(need: np.ndarray, pathway: np.ndarray, need_onset: np.ndarray,
                      unit: np.ndarray, waiting: int, since: int, n_units: int) -> np.ndarray:
    """Residents in unmet need (``need > 0``, ``pathway <= waiting``) whose need began on day
    ``since`` or later, by unit: ``np.bincount(unit, weights=fresh_mask, minlength=n_units)``
    as whole numbers, in one pass instead of four masks and a float bincount. Residents are
    stored unit by unit, so each run of one unit is counted in a register without branching
    on the (unpredictable) test, and added to its unit's cell when the run ends; any order
    gives the same counts."""
    out = np.zeros(n_units, np.int64)
    n = need.shape[0]
    if n == 0:
        return out
    current, run = unit[0], 0
    for i in range(n):
        u = unit[i]
        if u != current:  # a new unit's rows begin
            out[current] += run
            current, run = u, 0
        run += (need[i] > 0) & (pathway[i] <= waiting) & (need_onset[i] >= since)
    out[current] += run
    return out


@njit(cache=True, nogil=True)
def count_fresh_unmet_among(rows: np.ndarray, need: np.ndarray, pathway: np.ndarray,
                            need_onset: np.ndarray, unit: np.ndarray, waiting: int, since: int,
                            n_units: int) -> np.ndarray:
    """:func:`count_fresh_unmet` over residents ``rows`` only: the same counts when ``rows``
    holds everyone now in need (``need > 0``; a superset does: each row is tested)."""
    out = np.zeros(n_units, np.int64)
    for r in range(rows.shape[0]):
        i = rows[r]
        if need[i] > 0 and pathway[i] <= waiting and need_onset[i] >= since:
            out[unit[i]] += 1
    return out


@njit(cache=True, nogil=True)
def fresh_shares_and_rise(fresh: np.ndarray, sizes: np.ndarray, usual: np.ndarray,
                          street: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's share of residents in fresh unmet need (``fresh / sizes``) and, given its
    usual level (``usual``: one per unit, or none), the rise over ``half`` that the mutual
    aid pull raises to its steepness: ``max(share - usual, 0) * street / half``
    (``mutual_aid.rise_pull``'s steps before the power, in its order; 0 without a usual
    level)."""
    n = fresh.shape[0]
    share = np.empty(n)
    base = np.zeros(n)
    judged = usual.shape[0] == n
    for k in range(n):
        share[k] = fresh[k] / sizes[k]
        if judged:
            x = share[k] - usual[k]
            base[k] = (x if x >= 0.0 else 0.0) * street[k] / half  # np.maximum(x, 0.0)
    return share, base


@njit(cache=True, nogil=True)
def pull_and_formation(pressure: np.ndarray, judged: bool, capital: np.ndarray,
                       formation: float, slots: np.ndarray, form_draws: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """By unit: the mutual aid pull ``pressure / (1 + pressure)`` (0 if not ``judged``), the
    chance a group forms ``formation * capital * pull``, and whether the unit may form one
    today: its draw below ``slots * chance`` (the bound of ``1 - (1 - chance) ** free``, with
    a margin far beyond rounding, as ``CommunityModel._mutual_aid_units``)."""
    n = pressure.shape[0]
    pull = np.zeros(n)
    p_form = np.empty(n)
    may = np.empty(n, np.bool_)
    for k in range(n):
        if judged:
            pull[k] = pressure[k] / (1.0 + pressure[k])
        p_form[k] = formation * capital[k] * pull[k]
        may[k] = form_draws[k] < slots[k] * p_form[k] * (1.0 + 1e-9) + 1e-12
    return pull, p_form, may


@njit(cache=True, nogil=True)
def _between_and_at_most(codes: np.ndarray, lo: int, hi: int, other: np.ndarray,
                         other_max: int) -> np.ndarray:
    """``np.flatnonzero((codes >= lo) & (codes <= hi) & (other <= other_max))`` in one pass, a
    branch per resident (the matches are a few per cent). One-byte ``codes`` are read eight
    at a time when ``lo`` is 1 to 127: a word with no code from ``lo`` up is skipped, and only
    the bytes it flags are tested (at 3,000,000 residents, the volunteers past latent, about
    2.9x faster than testing each)."""
    n = codes.shape[0]
    out = np.empty(n, np.int64)
    k = 0
    start = 0
    if 1 <= lo <= 127 and _by_words(codes):
        words = _words(codes)
        for j in range(words.shape[0]):
            t = _flag_at_least(words[j], lo)
            while t != 0:
                i = 8 * j + _lowest_flagged(t)
                c = codes[i]
                if c >= lo and c <= hi and other[i] <= other_max:
                    out[k] = i
                    k += 1
                t &= t - uint64(1)
        start = words.shape[0] * 8
    for i in range(start, n):
        c = codes[i]
        if c >= lo and c <= hi and other[i] <= other_max:
            out[k] = i
            k += 1
    return out[:k].copy()


_ANY = 2 ** 62  # above every code: a bound that keeps everyone


@njit(cache=True, nogil=True)
def members_of(vorg: np.ndarray, vstate: np.ndarray, flagged: np.ndarray, lo: int, hi: int
               ) -> np.ndarray:
    """``np.flatnonzero(np.isin(vorg, np.flatnonzero(flagged)) & (vstate >= lo)
    & (vstate <= hi))``: residents (in order) in a volunteer state from ``lo`` to ``hi`` with an
    organisation (``vorg >= 0``) that ``flagged`` marks; those in the states first
    (:func:`codes_between`: a few per cent), then their organisations."""
    rows = codes_between(vstate, lo, hi)
    out = np.empty(rows.shape[0], np.int64)
    k = 0
    for i in rows:
        o = vorg[i]
        if o >= 0 and flagged[o]:
            out[k] = i
            k += 1
    return out[:k].copy()


def _rows_by_code(codes: np.ndarray, rows: np.ndarray) -> dict[int, np.ndarray]:
    """``rows`` (ascending positions) grouped by their code in ``codes``, each in order."""
    if rows.size == 0:
        return {}
    found = codes[rows]
    order = np.argsort(found, kind="stable")
    rows, found = rows[order], found[order]
    keys, starts = np.unique(found, return_index=True)
    ends = np.append(starts[1:], rows.size)
    return {k: rows[a:b] for k, a, b in zip(keys.tolist(), starts.tolist(), ends.tolist(),
                                            strict=True)}


def rows_of_flagged_code(codes: np.ndarray, rows: np.ndarray, flagged: np.ndarray
                         ) -> dict[int, np.ndarray]:
    """Those of ``rows`` (ascending positions) whose code in ``codes`` ``flagged`` marks
    (codes < 0: none), by code, in order: ``{c: rows[codes[rows] == c]}`` for every flagged
    ``c`` that occurs, without a pass over the whole column."""
    found = codes[rows]
    return _rows_by_code(codes, rows[(found >= 0) & flagged[np.maximum(found, 0)]])


@njit(cache=True, nogil=True)
def pay_the_day(rows: np.ndarray, balance: np.ndarray, spent: np.ndarray, annual: np.ndarray,
                cut: np.ndarray, clients: np.ndarray, staff: np.ndarray, fixed: np.ndarray,
                per_client: np.ndarray, per_fte: np.ndarray, cap_months: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """A day's money of groups ``rows``: their columns ``balance`` and ``spent`` changed in
    place, ``annual``, ``cut``, ``clients`` and ``staff`` read from their rows (the groups'
    columns, sim.agents.group_state), ``fixed``, ``per_client`` and ``per_fte`` per group in
    the order of ``rows``; the arithmetic of one group at a time: income ``annual * (1 - cut)
    / 365``; cost ``fixed + per_client * clients + staff * per_fte / 365``; reserves gain
    income less cost, but above the cap (``income * 365 * cap_months / 12``) only what was held
    stays (``max(cap, held)`` as Python picks). Returns each group's cost and whether it ran
    out of money (reserves below 0 after a day with costs)."""
    n = rows.shape[0]
    cost = np.empty(n)
    broke = np.zeros(n, np.bool_)
    for j in range(n):
        r = rows[j]
        income = annual[r] * (1.0 - cut[r]) / 365.0
        c = fixed[j] + per_client[j] * clients[r] + staff[r] * per_fte[j] / 365.0
        held = balance[r]
        b = held + income - c
        cap = income * 365.0 * cap_months / 12.0
        if b > cap:
            b = held if held > cap else cap
        balance[r] = b
        spent[r] += c
        cost[j] = c
        broke[j] = b < 0 and c > 0
    return cost, broke


@njit(cache=True, nogil=True)
def at_risk_of_churn(rows: np.ndarray, broke: np.ndarray, kind_code: np.ndarray,
                     lio_code: int) -> int:
    """How many of groups ``rows`` (``broke``: per group, in their order) draw for closing
    today: those that did not run out of money, but the LIO."""
    k = 0
    for j in range(rows.shape[0]):
        k += not broke[j] and kind_code[rows[j]] != lio_code
    return k


@njit(cache=True, nogil=True)
def closing_today(rows: np.ndarray, broke: np.ndarray, kind_code: np.ndarray,
                  support_until: np.ndarray, day: int, draws: np.ndarray, p_plain: float,
                  p_supported: float, lio_code: int) -> tuple[np.ndarray, np.ndarray]:
    """The groups of ``rows`` that close today, in their order: positions (in ``rows``) and
    reasons (0 out of money; 1 churn: the group's draw, one of ``draws`` for each group
    :func:`at_risk_of_churn` counts, in order, below ``p_supported`` while the LIO supports it
    (``support_until`` after ``day``), else ``p_plain``)."""
    n = rows.shape[0]
    at = np.empty(n, np.int64)
    why = np.empty(n, np.int64)
    k = d = 0
    for j in range(n):
        r = rows[j]
        if broke[j]:
            at[k] = j
            why[k] = 0
            k += 1
        elif kind_code[r] != lio_code:
            p = p_supported if support_until[r] > day else p_plain
            if draws[d] < p:
                at[k] = j
                why[k] = 1
                k += 1
            d += 1
    return at[:k], why[:k]


@njit(cache=True, nogil=True)
def group_places(rows: np.ndarray, staff_fte: np.ndarray, extra_places: np.ndarray,
                 volunteer_hours: np.ndarray, disruption: np.ndarray, distanced: np.ndarray,
                 staff_capacity: np.ndarray, staff_fte_usual: np.ndarray,
                 volunteer_share: np.ndarray, per_client: float, loss: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Client places of open groups ``rows`` (not the LIO) and the places a disruption costs
    them, per group in their order: ``VCSEGroup.capacity`` and its ``_capacity_lost``, the
    same float64 arithmetic from the groups' columns (``staff_capacity``, ``staff_fte_usual``
    and ``volunteer_share`` are their parameters, per group in the order of ``rows``;
    ``per_client``: volunteer hours a client takes a week; ``loss``:
    ``groups.disruption_capacity_loss``). A suspended group (``distanced``) has none."""
    n = rows.shape[0]
    places = np.zeros(n, np.int64)
    lost = np.zeros(n, np.int64)
    for j in range(n):
        r = rows[j]
        if distanced[r]:
            continue
        places[j], lost[j] = _places_and_lost(
            staff_fte[r], extra_places[r], volunteer_hours[r], disruption[r],
            staff_capacity[j], staff_fte_usual[j], volunteer_share[j], per_client, loss)
    return places, lost


@njit(cache=True, nogil=True, inline="always")
def _places_and_lost(staff_fte: float, extra_places: float, volunteer_hours: float,
                     disruption: float, staff_capacity: float, staff_fte_usual: float,
                     volunteer_share: float, per_client: float, loss: float
                     ) -> tuple[int, int]:
    """One running group's places and the places a disruption costs it
    (``VCSEGroup._compute_capacity``'s float64 arithmetic, in its order)."""
    if staff_fte_usual <= 0:
        staff = staff_capacity
    else:
        staff = staff_capacity * staff_fte / staff_fte_usual
    volunteer = 0.0
    if per_client > 0:
        volunteer = volunteer_hours * volunteer_share / per_client
    whole = np.int64(staff + extra_places + volunteer)
    if disruption <= 0:
        return (whole if whole > 0 else np.int64(0)), np.int64(0)
    d = disruption if disruption < 1.0 else 1.0
    gone = np.int64(loss * d * whole)
    return (whole - gone if whole - gone > 0 else np.int64(0)), gone


@njit(inline="always")
def _has_room_at(g, room_args):
    """``VCSEGroup.has_room()`` of group ``g`` from the columns ``room_args``
    (``CommunityModel._room_columns``, as :func:`groups_with_room` takes them after its
    rows)."""
    (clients, is_open, kind_code, lio, distanced, staff_fte, extra_places, volunteer_hours,
     disruption, annual_funding, funding_cut, balance, staff_capacity, staff_fte_usual,
     volunteer_share, cost_per_client_day, fixed_cost_per_day, per_client, loss,
     reserve_floor_months) = room_args
    if not is_open[g] or kind_code[g] == lio or distanced[g]:
        return False
    places = _places_and_lost(
        staff_fte[g], extra_places[g], volunteer_hours[g], disruption[g], staff_capacity[g],
        staff_fte_usual[g], volunteer_share[g], per_client, loss)[0]
    n = clients[g]
    if n >= places:
        return False
    cost = cost_per_client_day[g]
    if cost > 0:
        income = annual_funding[g] * (1.0 - funding_cut[g])
        if not balance[g] > income * reserve_floor_months / 12.0:
            affordable = (income / 365.0 - fixed_cost_per_day[g]) / cost
            if not n < (affordable if affordable > 0.0 else 0.0):
                return False
    return True


@njit(cache=True, nogil=True)
def groups_with_room(rows: np.ndarray, clients: np.ndarray, is_open: np.ndarray,
                     kind_code: np.ndarray, lio: int, distanced: np.ndarray,
                     staff_fte: np.ndarray, extra_places: np.ndarray,
                     volunteer_hours: np.ndarray, disruption: np.ndarray,
                     annual_funding: np.ndarray, funding_cut: np.ndarray, balance: np.ndarray,
                     staff_capacity: np.ndarray, staff_fte_usual: np.ndarray,
                     volunteer_share: np.ndarray, cost_per_client_day: np.ndarray,
                     fixed_cost_per_day: np.ndarray, per_client: float, loss: float,
                     reserve_floor_months: float) -> np.ndarray:
    """The positions in ``rows`` of the groups with room for one more client
    (``VCSEGroup.has_room()``): fewer clients than places (none while closed, suspended or the
    LIO; places as :func:`group_places` works them out, which is what a group's cached
    capacity holds while it stands), and, where a client costs money, reserves above
    ``reserve_floor_months`` of the income after any cut or fewer clients than that income
    pays for after fixed costs (``affordable_places``). The parameter columns
    (``staff_capacity`` to ``fixed_cost_per_day``) are by organisation index, as the state's."""
    room_args = (clients, is_open, kind_code, lio, distanced, staff_fte, extra_places,
                 volunteer_hours, disruption, annual_funding, funding_cut, balance,
                 staff_capacity, staff_fte_usual, volunteer_share, cost_per_client_day,
                 fixed_cost_per_day, per_client, loss, reserve_floor_months)
    out = np.empty(rows.shape[0], np.int64)
    k = 0
    for j in range(rows.shape[0]):
        if _has_room_at(rows[j], room_args):
            out[k] = j
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def keep_waiting_entries(resident: np.ndarray, number: np.ndarray, source: np.ndarray,
                         head: int, tail: int, pathway: np.ndarray, lw_referrals: np.ndarray,
                         waiting: int) -> int:
    """A link worker's inbox (``ReferralQueue`` columns, entries ``head`` to ``tail``)
    compacted in place to the front: the entries whose resident still waits on that
    referral (``pathway == waiting`` and ``lw_referrals`` equal to its number), in order.
    Returns how many are kept."""
    n = 0
    for j in range(head, tail):
        r = resident[j]
        if pathway[r] == waiting and lw_referrals[r] == number[j]:
            resident[n] = r
            number[n] = number[j]
            source[n] = source[j]
            n += 1
    return n


@njit(cache=True, nogil=True)
def struggling_order(rows: np.ndarray, kind_code: np.ndarray, annual_funding: np.ndarray,
                     funding_cut: np.ndarray, balance: np.ndarray,
                     lio_support_until: np.ndarray, day: int, months: float, kind_a: int,
                     kind_b: int) -> np.ndarray:
    """Positions in ``rows`` of the groups an LIO's capacity building looks at
    (``LIOFunctions._struggling_groups``): kind ``kind_a`` or ``kind_b``, not under support
    on ``day`` (``lio_support_until <= day``), with no income or reserves below ``months``
    of it (income = funding after the cut); thinnest reserves first (reserves over income,
    -1 without income), then by row. The float64 arithmetic and order of numpy's
    ``lexsort((rows[at], thinness))`` over the same columns, in one call."""
    n = rows.shape[0]
    at = np.empty(n, np.int64)
    thin = np.empty(n, np.float64)
    k = 0
    for j in range(n):
        r = rows[j]
        kind = kind_code[r]
        if (kind != kind_a and kind != kind_b) or lio_support_until[r] > day:
            continue
        income = annual_funding[r] * (1.0 - funding_cut[r])
        if income <= 0 or balance[r] < income * months / 12.0:
            at[k] = j
            thin[k] = balance[r] / income if income > 0 else -1.0
            k += 1
    at, thin = at[:k], thin[:k]
    by_row = np.argsort(rows[at], kind="mergesort")  # then, stably, by thinness
    at, thin = at[by_row], thin[by_row]
    return at[np.argsort(thin, kind="mergesort")]


@njit(cache=True, nogil=True)
def units_with_groups(rows: np.ndarray, unit_key: np.ndarray, distanced: np.ndarray,
                      kind_code: np.ndarray, lio: int, district_of_unit: np.ndarray,
                      n_districts: int) -> np.ndarray:
    """Per unit, 1.0 if an open group ``rows`` that is not the LIO and not suspended is in
    reach (the unit's own, key >= 0, or its district's place-level ones, key -1 - district),
    else 0.0."""
    n_units = district_of_unit.shape[0]
    own = np.zeros(n_units, np.bool_)
    place = np.zeros(n_districts, np.bool_)
    for j in range(rows.shape[0]):
        r = rows[j]
        if distanced[r] or kind_code[r] == lio:
            continue
        key = unit_key[r]
        if key >= 0:
            own[key] = True
        else:
            place[-1 - key] = True
    out = np.zeros(n_units)
    for u in range(n_units):
        if own[u] or place[district_of_unit[u]]:
            out[u] = 1.0
    return out


@njit(cache=True, nogil=True)
def staff_work_due(rows: np.ndarray, n_staff_changes: np.ndarray, usual_staff: np.ndarray,
                   day: int, review_days: int) -> np.ndarray:
    """Positions (in ``rows``, in order) of the groups the daily staff pass has something to
    do for: notices or hires pending, or a staff review due today (a group with an
    establishment reviews on the days ``(day + its row) % review_days == 0``;
    ``usual_staff``: the establishments, in the order of ``rows``). Disruptions in force fade
    apart (:func:`decay_disruption`)."""
    out = np.empty(rows.shape[0], np.int64)
    k = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        if n_staff_changes[r] > 0 or (usual_staff[j] > 0 and (day + r) % review_days == 0):
            out[k] = j
            k += 1
    return out[:k]


@njit(cache=True, nogil=True)
def decay_disruption(rows: np.ndarray, disruption: np.ndarray, decay: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Disruptions in force among groups ``rows`` fade: ``disruption[r] *= decay`` (float64,
    in place) where it is above 0. Returns the positions (in ``rows``, in order) changed and
    their new values."""
    at = np.empty(rows.shape[0], np.int64)
    values = np.empty(rows.shape[0])
    k = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        d = disruption[r]
        if d > 0:
            d *= decay
            disruption[r] = d
            at[k] = j
            values[k] = d
            k += 1
    return at[:k], values[:k]


@njit(cache=True, nogil=True)
def groups_tasks_and_hours(rows: np.ndarray, clients: np.ndarray, distanced: np.ndarray,
                           tasks_per_client_week: float, hours_per_week: np.ndarray,
                           extra_hours: np.ndarray, kind_code: np.ndarray, lio: int,
                           tasks: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """The volunteers' day's tasks and new management hours of the open groups ``rows``,
    written to ``tasks`` and ``hours`` (by organisation index): ``VCSEGroup.tasks_today()``
    (``clients * tasks_per_client_week / 7``, none while suspended) and
    ``vm_hours_new_today()`` (``(hours_per_week + extra_hours) / 7``, ``hours_per_week`` its
    kind's, in the order of ``rows``). Returns the positions of the LIO's rows, whose hours
    its books set (the caller asks it)."""
    lios = np.empty(rows.shape[0], np.int64)
    k = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        tasks[r] = 0.0 if distanced[r] else clients[r] * tasks_per_client_week / 7.0
        if kind_code[r] == lio:
            lios[k] = j
            k += 1
        else:
            hours[r] = (hours_per_week[j] + extra_hours[r]) / 7.0
    return lios[:k]


@njit(cache=True, nogil=True)
def open_group_sums(rows: np.ndarray, kind_code: np.ndarray, clients: np.ndarray,
                    disruptive: np.ndarray, listed: np.ndarray, distanced: np.ndarray,
                    online: np.ndarray, support_until: np.ndarray, staff_fte: np.ndarray,
                    strain: np.ndarray, inclusive: np.ndarray, places: np.ndarray,
                    lost: np.ndarray, day: int, mutual_aid: int, lio: int, community: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The daily row's sums over the open groups ``rows`` (in group order; their columns, and
    ``inclusive`` (accepts complex needs), ``places`` and ``lost`` (:func:`group_places`) per
    group but the LIO, in the order of ``rows`` without it). Counts (int64): open, listed,
    clients, mutual aid groups, their clients, suspended, online, supported by the LIO, groups
    with places (not the LIO), clients without inclusion, those of them placed as members,
    community groups, those disrupted; sums (float64, added in group order as floats): paid
    staff, places, strain, places community groups lost to disruption, community groups'
    places before it."""
    counts = np.zeros(13, np.int64)
    sums = np.zeros(5)
    q = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        kind = kind_code[r]
        n = clients[r]
        counts[0] += 1
        counts[1] += listed[r]
        counts[2] += n
        counts[5] += distanced[r]
        counts[6] += online[r]
        counts[7] += support_until[r] > day
        if kind == mutual_aid:
            counts[3] += 1
            counts[4] += n
        if kind == lio:
            continue
        if not inclusive[q]:
            counts[9] += n
            counts[10] += n - disruptive[r]
        counts[8] += 1
        sums[0] += staff_fte[r]
        cap = places[q]
        gone = lost[q] if kind == community else 0
        sums[1] += cap
        sums[2] += strain[r]
        if kind == community:
            counts[11] += 1
            counts[12] += disruptive[r] > 0
            sums[3] += gone
            sums[4] += cap + gone
        q += 1
    return counts, sums


@njit(cache=True, nogil=True)
def update_strain(rows: np.ndarray, unserved: np.ndarray, turned_away: np.ndarray,
                  strain: np.ndarray, support_days: np.ndarray, distanced: np.ndarray,
                  places: np.ndarray, clients: np.ndarray, staff: np.ndarray,
                  memory_days: float, exit_per_strain_year: float
                  ) -> tuple[np.ndarray, int]:
    """Strain of groups ``rows`` (columns ``unserved``, ``turned_away`` and ``strain`` changed
    in place; ``distanced``, ``clients`` and ``staff`` read from their rows; ``support_days``
    and ``places`` per group in the order of ``rows``), with the arithmetic of one group at a
    time: turned-away referrals fade over a support period; unless suspended
    (``distanced``), the share of demand above ``max(places, 1)`` (0 without demand) is
    smoothed into the strain. Paid staff leave under strain (``staff * min(strain * exit /
    365, 1)``; none while suspended): ``staff`` is lowered by it in place where it is above 0.
    Returns what each loses (0 for none) and the referrals they had turned away today, in
    all."""
    n = rows.shape[0]
    lost = np.zeros(n)
    turned_away_in_all = 0
    for j in range(n):
        r = rows[j]
        turned_away_in_all += turned_away[r]
        u = unserved[r] * (1.0 - 1.0 / support_days[j]) + turned_away[r]
        unserved[r] = u
        turned_away[r] = 0
        if distanced[r]:
            continue
        demand = clients[r] + u
        share = 0.0
        if demand > 0:
            share = 1.0 - max(places[j], 1) / demand
            if 0.0 > share:
                share = 0.0
        s = strain[r] + (share - strain[r]) / memory_days
        strain[r] = s
        e = s * exit_per_strain_year / 365.0
        if 1.0 < e:
            e = 1.0
        gone = staff[r] * e
        lost[j] = gone
        if gone > 0:
            staff[r] = staff[r] - gone
    return lost, turned_away_in_all


@njit(cache=True, nogil=True)
def org_members(vorg: np.ndarray, vstate: np.ndarray, org: int, lo: int, hi: int
                ) -> np.ndarray:
    """``np.flatnonzero((vorg == org) & (vstate >= lo) & (vstate <= hi))``: the residents (in
    order) of organisation ``org`` in a volunteer state from ``lo`` to ``hi`` (or, given the
    providers and pathways, a group's clients in pathways ``lo`` to ``hi``)."""
    k = 0
    for i in range(vorg.shape[0]):
        k += vorg[i] == org
    out = np.empty(k, np.int64)
    k = 0
    for i in range(vorg.shape[0]):
        if vorg[i] == org:
            out[k] = i
            k += lo <= vstate[i] <= hi
    return out[:k].copy()


@njit(inline="always")
def _wellbeing_at(w: np.ndarray, i: int, targets: np.ndarray, s: int, offset_i, rate):
    """Resident ``i``'s four scores close ``rate`` of the gap to row ``s`` of ``targets``
    (the first plus ``offset_i``), in place, with the float32 operations of ``t = target;
    t -= w; t *= rate; w += t``; returns the new scores."""
    t = targets[s, 0] + offset_i
    t -= w[i, 0]
    t *= rate
    x0 = w[i, 0] + t
    t = targets[s, 1] - w[i, 1]
    t *= rate
    x1 = w[i, 1] + t
    t = targets[s, 2] - w[i, 2]
    t *= rate
    x2 = w[i, 2] + t
    t = targets[s, 3] - w[i, 3]
    t *= rate
    x3 = w[i, 3] + t
    w[i, 0], w[i, 1], w[i, 2], w[i, 3] = x0, x1, x2, x3
    return x0, x1, x2, x3


@njit(cache=True, nogil=True)
def residents_day_end(w: np.ndarray, targets: np.ndarray, offset: np.ndarray,
                      need: np.ndarray, pathway: np.ndarray, supported_from: int,
                      rate: np.float32, unmet_days: np.ndarray, waiting: int, n_levels: int,
                      n_paths: int) -> tuple[np.ndarray, np.ndarray]:
    """The residents' end of the day in one pass over their rows (the arrays are read once,
    not three times):

    * wellbeing, in place, for (n, 4) float32 scores ``w``: each resident's situation (0 no
      need, 1 unmet, 2 ``pathway >= supported_from``) picks a row of ``targets``; then the
      float32 operations of ``t = targets[situation] + offset; t -= w; t *= rate; w += t``,
      element by element. ``offset`` is the (n,) float32 offset of the first score (life
      satisfaction; the others have none: adding a float32 zero leaves a target as it is);
    * ``unmet_days += (need > 0) & (pathway <= waiting)`` in place;
    * the residents counted by need level and pathway (``count_need_by_pathway``).

    Returns the float32 column sums of the updated scores, added row by row (the sums of
    ``column_means_f32``: the day's mean wellbeing costs no second read), and the
    (n_levels, n_paths) int64 counts."""
    a0 = a1 = a2 = a3 = np.float32(0.0)
    counts = np.zeros((n_levels, n_paths), np.int64)
    n_none = 0  # most residents: counted in a register, not a table cell
    for i in range(w.shape[0]):
        level, path = need[i], pathway[i]
        s = 0
        if level != 0:
            s = 2 if path >= supported_from else 1
            if path <= waiting:
                unmet_days[i] += 1
        if level == 0 and path == 0:
            n_none += 1
        else:
            counts[level, path] += 1
        x0, x1, x2, x3 = _wellbeing_at(w, i, targets, s, offset[i], rate)
        a0 += x0
        a1 += x1
        a2 += x2
        a3 += x3
    counts[0, 0] += n_none
    sums = np.empty(4, np.float32)
    sums[0], sums[1], sums[2], sums[3] = a0, a1, a2, a3
    return sums, counts


@njit(cache=True, nogil=True)
def wellbeing_day(w: np.ndarray, targets: np.ndarray, offset: np.ndarray, need: np.ndarray,
                  pathway: np.ndarray, supported_from: int, rate: np.float32) -> None:
    """The wellbeing part of :func:`residents_day_end` alone: the same float32 operations on
    each score, in place, with no sums, counts or ``unmet_days`` (a burn-in day: they feed
    only the daily row and the output's tallies, which start from zero after the burn-in).
    Without the running sums' chain of float32 additions a resident's update does not wait
    for the previous one's: at 8,000 residents about 40 % less time in a loop of its own,
    15-20 % in place (the day's other passes leave less of the arrays in the cache)."""
    for i in range(w.shape[0]):
        s = 0
        if need[i] != 0:
            s = 2 if pathway[i] >= supported_from else 1
        _wellbeing_at(w, i, targets, s, offset[i], rate)


@njit(cache=True, nogil=True)
def count_by_org(vorg: np.ndarray, vstate: np.ndarray, state_row: np.ndarray, n_rows: int,
                 n_org: int, rows: np.ndarray | None = None) -> np.ndarray:
    """(n_rows, n_org) counts of residents by organisation, one row per set of volunteer
    states: ``state_row[code]`` is the row of state ``code`` (-1: not counted). Row r is
    ``np.bincount(vorg[np.isin(vstate, codes of r)], minlength=n_org)`` (residents counted have
    an organisation). ``rows``: only those residents are counted (``vorg`` and ``vstate``
    read at them: the same counts as the columns gathered at ``rows``, without the gathers)."""
    out = np.zeros((n_rows, n_org), np.int64)
    if rows is None:
        for i in range(vorg.shape[0]):
            r = state_row[vstate[i]]
            if r >= 0:
                out[r, vorg[i]] += 1
    else:
        for j in range(rows.shape[0]):
            i = rows[j]
            r = state_row[vstate[i]]
            if r >= 0:
                out[r, vorg[i]] += 1
    return out


@njit(cache=True, nogil=True)
def book_in_queue_order(org: np.ndarray, cost: np.ndarray, progress: np.ndarray,
                        hours: np.ndarray, partial: bool = True
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each organisation works through its items (``org``; ``cost``, float64, the hours an
    item takes; ``progress``, the hours already booked on it on earlier days; in queue order)
    with its ``hours``: an item whose remaining hours (``cost - progress``, at least 0) fit in
    the hours left is done; the first that does not fit takes all the hours left (partial
    progress; with ``partial`` False it takes nothing, for ``continue_first_unfinished`` to
    give it what is left after other work) and the organisation's later items wait. Returns
    the mask of items done, the hours booked per organisation and the hours booked on each
    item today; ``hours`` is reduced in place (to what is left, never below 0). A remaining
    at most ``1e-9`` above the hours left counts as fitting (float rounding) and books the
    hours left. Organisations are ``0 .. hours.size - 1``. (In plain Python:
    ``tests/test_kernels.py``, ``_book_in_queue_order_reference``.)"""
    n, n_org = org.shape[0], hours.shape[0]
    done = np.zeros(n, np.bool_)
    taken = np.zeros(n)
    booked = np.zeros(n_org)
    left = hours.copy()
    blocked = np.zeros(n_org, np.bool_)
    for j in range(n):  # items are in queue order within each organisation
        o = org[j]
        if blocked[o]:
            continue
        remaining = cost[j] - progress[j]
        if remaining < 0.0:  # the cost fell below the hours already booked on it
            remaining = 0.0
        free = left[o] if left[o] > 0.0 else 0.0
        if remaining <= free + 1e-9:
            done[j] = True
            take = remaining if remaining <= free else free
        else:
            take = free if partial else 0.0
            blocked[o] = True
        taken[j] = take
        booked[o] += take
        left[o] -= take
    for o in range(n_org):
        hours[o] = left[o] if left[o] > 0.0 else 0.0
    return done, booked, taken


@njit(cache=True, nogil=True)
def continue_first_unfinished(queue: np.ndarray, org: np.ndarray, cost: np.ndarray,
                              done: np.ndarray, hours: np.ndarray, work: np.ndarray
                              ) -> np.ndarray:
    """Items booked by ``book_in_queue_order(..., partial=False)`` (volunteers ``queue``,
    their ``org``, ``cost`` and ``done`` mask, in queue order): each organisation's first item
    not done takes the hours it has left now (at most what the item still needs), kept in
    ``work`` (per resident). Returns the hours booked per organisation; ``hours`` is reduced
    in place."""
    n_org = hours.shape[0]
    started = np.zeros(n_org, np.bool_)
    booked = np.zeros(n_org)
    for j in range(queue.shape[0]):
        o = org[j]
        if done[j] or started[o]:
            continue
        started[o] = True
        i = queue[j]
        remaining = cost[j] - work[i]
        free = hours[o] if hours[o] > 0.0 else 0.0
        take = remaining if remaining < free else free
        if take > 0.0:
            work[i] += take
            booked[o] += take
            hours[o] -= take
    return booked


@njit(cache=True, nogil=True)
def carry_work_over(queue: np.ndarray, done: np.ndarray, taken: np.ndarray,
                    work: np.ndarray) -> None:
    """The hours booked today on the items of volunteers ``queue`` stay with them
    (``work``, per resident, reduced to 0 once the item is done)."""
    for j in range(queue.shape[0]):
        i = queue[j]
        work[i] = 0.0 if done[j] else work[i] + taken[j]


@njit(cache=True, nogil=True)
def inductions_due(onboarding: np.ndarray, vorg: np.ndarray, vsince: np.ndarray,
                   vpassported: np.ndarray, training_days: np.ndarray, day: int,
                   passport_days: int, passport_hours: float, induction_hours: float,
                   hours: np.ndarray, work: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Volunteers ``onboarding`` (in order) whose checks and training days are over (a
    passported volunteer's ``passport_days``, else the organisation's ``training_days``), in
    queue order (``vsince``, then resident), booked by ``book_in_queue_order`` at
    ``passport_hours``, ``induction_hours`` or (no training) 0 each, less the hours already
    booked on their induction (``work``, per resident; a finished induction's set to 0). Only
    whole inductions are booked here: an organisation's first that does not fit waits for
    ``continue_first_unfinished``, after keeping in touch with the waiting. Returns the
    volunteers, their organisations, the mask of inductions done, the hours booked per
    organisation (``hours`` reduced in place) and the inductions' costs."""
    ready = np.empty(onboarding.shape[0], np.int64)
    k = 0
    for i in onboarding:
        needed = passport_days if vpassported[i] else training_days[vorg[i]]
        if day - vsince[i] >= needed:
            ready[k] = i
            k += 1
    queue = ready[:k][np.argsort(vsince[ready[:k]], kind="mergesort")]
    org = np.empty(k, vorg.dtype)
    cost = np.empty(k)
    progress = np.empty(k)
    for j in range(k):
        i = queue[j]
        org[j] = vorg[i]
        progress[j] = work[i]
        if vpassported[i]:
            cost[j] = passport_hours
        elif training_days[vorg[i]] > 0:
            cost[j] = induction_hours
        else:
            cost[j] = 0.0
    done, booked, taken = book_in_queue_order(org, cost, progress, hours, False)
    carry_work_over(queue, done, taken, work)
    return queue, org, done, booked, cost


@njit(cache=True, nogil=True)
def applications_due(applied: np.ndarray, vorg: np.ndarray, vsince: np.ndarray,
                     vtrained_at: np.ndarray, accepts: np.ndarray, per_application: np.ndarray,
                     passport_hours: float, hours: np.ndarray, work: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                np.ndarray]:
    """Applicants ``applied`` (in resident order) in queue order (``vsince``, then resident),
    booked by ``book_in_queue_order`` at ``passport_hours`` where their organisation
    ``accepts`` a passport they hold (trained elsewhere: ``vtrained_at >= 0``), else its
    ``per_application`` hours, less the hours already booked on their application (``work``,
    per resident: updated in place by ``carry_work_over``). Returns the applicants, their
    organisations, the passport mask, the costs (whole, not what was left of them), the mask
    of those processed and the hours booked per organisation (``hours`` reduced in
    place)."""
    k = applied.shape[0]
    queue = applied[np.argsort(vsince[applied], kind="mergesort")]
    org = np.empty(k, vorg.dtype)
    passport = np.empty(k, np.bool_)
    cost = np.empty(k)
    progress = np.empty(k)
    for j in range(k):
        i = queue[j]
        o = vorg[i]
        org[j] = o
        progress[j] = work[i]
        passport[j] = accepts[o] and vtrained_at[i] >= 0
        cost[j] = passport_hours if passport[j] else per_application[o]
    done, booked, taken = book_in_queue_order(org, cost, progress, hours)
    carry_work_over(queue, done, taken, work)
    return queue, org, passport, cost, done, booked


@njit(cache=True, nogil=True)
def free_hours_by_org(among: np.ndarray, everyone: bool, vstate: np.ndarray, vorg: np.ndarray,
                      offer: np.ndarray, committed: np.ndarray, lo: int, hi: int, n_org: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Residents (``among``, in order, or ``everyone``) in a volunteer state from ``lo`` to
    ``hi``: by organisation, the float64 sum of ``np.maximum(offer - committed, 0.0)`` (float32
    differences, added in resident order as ``np.bincount`` with weights does) and their
    count."""
    hours = np.zeros(n_org)
    counts = np.zeros(n_org, np.int64)
    n = vstate.shape[0] if everyone else among.shape[0]
    for j in range(n):
        i = j if everyone else among[j]
        if lo <= vstate[i] <= hi:
            v = offer[i] - committed[i]
            if v < 0:  # np.maximum(v, 0.0): NaN and -0.0 stay
                v = np.float32(0.0)
            hours[vorg[i]] += np.float64(v)
            counts[vorg[i]] += 1
    return hours, counts


@njit(cache=True, nogil=True)
def channel_weights(idx: np.ndarray, gp: np.ndarray, digital: np.ndarray, unit: np.ndarray,
                    degree: np.ndarray, gp_access: np.ndarray, lw_awareness: np.ndarray,
                    has_groups: np.ndarray, has_intermediary: np.ndarray, w_gp: float,
                    w_self: float, mult_digital: float, mult_excluded: float, w_informal: float,
                    w_group: float, w_intermediary: float) -> np.ndarray:
    """(k, 5) help-seeking channel weights of residents ``idx``: the float64 products of
    ``help_seeking.channel_weights``' numpy columns, in the same order (``w_self`` times the
    digital multiplier, then times the unit's awareness; ``w_informal`` times 1.0 or 0.0)."""
    out = np.zeros((idx.shape[0], 5))
    for r in range(idx.shape[0]):
        i = idx[r]
        u = unit[i]
        out[r, 0] = w_gp * gp_access[gp[i]]
        out[r, 1] = w_self * (mult_digital if digital[i] else mult_excluded) * lw_awareness[u]
        out[r, 2] = w_informal * (1.0 if degree[i] > 0 else 0.0)
        out[r, 3] = w_group * has_groups[u]
        out[r, 4] = w_intermediary * has_intermediary[u]
    return out


@njit(cache=True, nogil=True)
def choose_channels(w: np.ndarray, total: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row of weights ``w`` (with row sums ``total``): the number of cumulative shares
    ``np.cumsum(w, axis=1) / total[:, None]`` below the uniform ``u``, i.e.
    ``(u[:, None] > cum).sum(axis=1)`` (running float64 sums, as ``np.cumsum``)."""
    k, m = w.shape
    out = np.zeros(k, np.int64)
    for r in range(k):
        c = 0.0
        for j in range(m):
            c += w[r, j]
            out[r] += u[r] > c / total[r]
    return out


@njit(cache=True, nogil=True)
def onset_candidates(u: np.ndarray, p: np.ndarray, need: np.ndarray) -> np.ndarray:
    """``np.flatnonzero((u < p) & (need == 0))`` in one pass (float32 ``u`` and ``p``)."""
    n = u.shape[0]
    out = np.empty(n + 1, np.int64)
    k = 0
    for i in range(n):
        out[k] = i
        k += (u[i] < p[i]) & (need[i] == 0)
    return out[:k].copy()


@njit(cache=True, nogil=True)
def first_within(groups: np.ndarray, keys: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Whether each element is among the first ``quota[g]`` of its group ``g`` ordered by
    ``keys``, ties by position: ``rank < quota[groups]`` for the rank within each group's run
    of ``np.lexsort((keys, groups))``. The elements are gathered by group (in position
    order); a group whose quota takes all of them or none needs no order, and the others are
    each sorted on their own (stable), not all elements together. Groups are codes from 0 to
    ``quota.size - 1`` (a trained volunteer always has an organisation); an element with
    another code is never chosen."""
    n = groups.shape[0]
    chosen = np.zeros(n, np.bool_)
    if n == 0:
        return chosen
    n_groups = quota.shape[0]
    start = np.zeros(n_groups + 1, np.int64)
    for j in range(n):
        g = groups[j]
        if 0 <= g < n_groups:
            start[g + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:n_groups].copy()
    by_group = np.empty(n, np.int64)  # positions, group by group, in position order
    for j in range(n):
        g = groups[j]
        if 0 <= g < n_groups:
            by_group[fill[g]] = j
            fill[g] += 1
    for g in range(n_groups):
        lo, hi, q = start[g], start[g + 1], quota[g]
        if q <= 0 or lo == hi:
            continue
        if q >= hi - lo:
            for s in range(lo, hi):
                chosen[by_group[s]] = True
            continue
        members = by_group[lo:hi]
        order = np.argsort(keys[members], kind="mergesort")  # stable: ties by position
        for r in range(q):
            chosen[members[order[r]]] = True
    return chosen


@njit(cache=True, nogil=True)
def hand_out_tasks(trained: np.ndarray, vorg: np.ndarray, hospital: np.ndarray,
                   offer: np.ndarray, used: np.ndarray, draw: np.ndarray, tasks: np.ndarray,
                   hospital_hours: np.float32, group_hours: np.float32
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Volunteers ``trained`` (in order, with uniforms ``draw``) whose free hours this week
    (float32 ``offer - used``) cover a task (``hospital_hours`` for ``hospital`` volunteers,
    else ``group_hours``) take their organisation's ``tasks`` in order of ``draw``
    (:func:`first_within`). Returns those who worked (in order), their task hours (float32) and
    the tasks staffed by organisation: the numpy masks of ``volunteering.allocate_tasks``."""
    m = trained.shape[0]
    able = np.empty(m, np.int64)
    able_org = np.empty(m, vorg.dtype)
    able_hours = np.empty(m, np.float32)
    able_draw = np.empty(m)
    k = 0
    for j in range(m):
        i = trained[j]
        h = hospital_hours if hospital[i] else group_hours
        if offer[i] - used[i] >= h:
            able[k] = i
            able_org[k] = vorg[i]
            able_hours[k] = h
            able_draw[k] = draw[j]
            k += 1
    took = first_within(able_org[:k], able_draw[:k], tasks)
    worked = np.empty(k, np.int64)
    worked_hours = np.empty(k, np.float32)
    staffed = np.zeros(tasks.shape[0], np.int64)
    w = 0
    for j in range(k):
        if took[j]:
            worked[w] = able[j]
            worked_hours[w] = able_hours[j]
            staffed[able_org[j]] += 1
            w += 1
    return worked[:w].copy(), worked_hours[:w].copy(), staffed


@njit(cache=True, nogil=True)
def member_tie_pairs(on: np.ndarray, org: np.ndarray, degree: np.ndarray, indptr: np.ndarray,
                     indices: np.ndarray, n: int) -> np.ndarray:
    """``np.unique(np.repeat(org, degree[on]) * n + indices[pos])``, where ``pos`` runs over
    each member's ``degree[on]`` positions of the adjacency (CSR) from ``indptr[on]``: the
    sorted distinct ``organisation * n + neighbour`` codes of members ``on`` (int64)."""
    total = 0
    for j in range(on.shape[0]):
        total += degree[on[j]]
    pairs = np.empty(total, np.int64)
    k = 0
    for j in range(on.shape[0]):
        start = np.int64(indptr[on[j]])
        for t in range(degree[on[j]]):
            pairs[k] = np.int64(org[j]) * n + indices[start + t]
            k += 1
    pairs.sort()
    out = np.empty(total, np.int64)
    m = 0
    for t in range(total):
        if m == 0 or pairs[t] != out[m - 1]:
            out[m] = pairs[t]
            m += 1
    return out[:m].copy()


@njit(cache=True, nogil=True)
def in_need_without_pathway(idx: np.ndarray, need: np.ndarray, pathway: np.ndarray
                            ) -> np.ndarray:
    """``idx[(need[idx] > 0) & (pathway[idx] == 0)]``: those of residents ``idx`` (int64, in
    order) in need with nothing under way, in one call (a mutual aid group's neighbours: a
    few dozen, mostly none of them)."""
    out = np.empty(idx.shape[0], np.int64)
    k = 0
    for j in range(idx.shape[0]):
        i = idx[j]
        if need[i] > 0 and pathway[i] == 0:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def ties_with_time(i: int, indptr: np.ndarray, indices: np.ndarray, vstate: np.ndarray,
                   offer: np.ndarray, used: np.ndarray, code_a: int, code_b: int,
                   hours: np.float32) -> np.ndarray:
    """Resident ``i``'s ties (adjacency order) in volunteer state ``code_a`` or ``code_b``
    whose free hours this week (float32 ``offer - used``) are at least ``hours`` (float32, as
    numpy compares a float32 array with a Python float): the numpy masks of
    ``help_seeking.ask_ties`` in one call."""
    start, stop = indptr[i], indptr[i + 1]
    out = np.empty(stop - start, indices.dtype)
    k = 0
    for t in range(start, stop):
        j = indices[t]
        if (vstate[j] == code_a or vstate[j] == code_b) and offer[j] - used[j] >= hours:
            out[k] = j
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def need_and_pathway(need: np.ndarray, pathway: np.ndarray, need_min: int, pathway_max: int
                     ) -> np.ndarray:
    """``np.flatnonzero((need >= need_min) & (pathway <= pathway_max))`` in one pass
    (residents in need are a scattered tenth or so of the population: a branch that is mostly
    not taken is cheaper here than writing every position, about a third less time; one-byte
    need levels eight at a time, :func:`_between_and_at_most`)."""
    return _between_and_at_most(need, need_min, _ANY, pathway, pathway_max)


@njit(cache=True, nogil=True)
def rows_in_need_and_pathway(rows: np.ndarray, need: np.ndarray, pathway: np.ndarray,
                             need_min: int, pathway_max: int) -> np.ndarray:
    """``rows[(need[rows] >= need_min) & (pathway[rows] <= pathway_max)]`` in one pass over
    ``rows`` (int64, in their order): :func:`need_and_pathway` among residents already
    known to hold every match (e.g. those in need, while need levels stand)."""
    out = np.empty(rows.shape[0], np.int64)
    k = 0
    for j in range(rows.shape[0]):
        i = rows[j]
        if need[i] >= need_min and pathway[i] <= pathway_max:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def chosen_in_need_and_pathway(stream: np.ndarray, rows: np.ndarray, need: np.ndarray,
                               pathway: np.ndarray, need_min: int, pathway_max: int, p: float
                               ) -> np.ndarray:
    """``chosen_today(stream, rows_in_need_and_pathway(rows, ...), p)`` in one pass over
    ``rows``: each row that matches draws one float64 uniform of ``stream`` in order and is
    chosen below ``p`` (the same draws: nothing reads or writes a level or pathway in
    between)."""
    out = np.empty(rows.shape[0], np.int64)
    k = 0
    for j in range(rows.shape[0]):
        i = rows[j]
        if need[i] >= need_min and pathway[i] <= pathway_max and _double_from(stream) < p:
            out[k] = i
            k += 1
    return out[:k].copy()


_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)


@njit(inline="always")
def _flag_equal(w, pattern):
    """Bit 7 of each byte of ``w`` equal to that byte of ``pattern`` (a code times
    ``_ONES``), exactly: the bytes of ``x = w ^ pattern`` that are zero (bit 7 of
    ``(x & 0x7f..) + 0x7f..`` is set where the low seven bits are not all zero, with no
    carry into the next byte; ``| x`` adds bit 7 itself)."""
    x = w ^ pattern
    return ~(((x & _LOW7) + _LOW7) | x) & _HIGH


@njit(cache=True, nogil=True)
def rows_of_code_at_ranks(codes: np.ndarray, code: int, ranks: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(codes == code)[ranks]`` for ascending ``ranks`` (e.g. the latent
    volunteers a draw picks by their place among the latent), in one pass that stops at the
    last, without an array of every match: one-byte codes eight at a time, a word's matches
    counted at once and looked at one by one only in a word that holds a wanted rank."""
    m = ranks.shape[0]
    out = np.empty(m, np.int64)
    j = 0
    r = 0  # matches before the position looked at
    rest = 0  # where the one-by-one loop starts
    if m and _by_words(codes) and 0 <= code <= 127:
        words = _words(codes)
        pattern = uint64(code) * _ONES
        want = ranks[0]
        for k in range(words.shape[0]):
            t = _flag_equal(words[k], pattern)
            c = _n_flagged(t)
            if r + c <= want:  # the wanted rank is further on
                r += c
                continue
            while t:
                while j < m and ranks[j] == r:
                    out[j] = k * 8 + _lowest_flagged(t)
                    j += 1
                if j == m:
                    break
                want = ranks[j]
                r += 1
                t &= t - uint64(1)
            if j == m:
                break
        rest = words.shape[0] * 8
    if j < m:
        for i in range(rest, codes.shape[0]):
            if codes[i] == code:
                while j < m and ranks[j] == r:
                    out[j] = i
                    j += 1
                if j == m:
                    break
                r += 1
    if j < m:
        raise ValueError("rows_of_code_at_ranks: a rank beyond the matches, or not ascending")
    return out


@njit(cache=True, nogil=True)
def count_equal(codes: np.ndarray, code: int) -> int:
    """``np.count_nonzero(codes == code)`` in one pass without a mask (e.g. the latent
    volunteers, whose number alone decides how many apply on a day)."""
    k = 0
    for i in range(codes.shape[0]):
        k += codes[i] == code
    return k


@njit(cache=True, nogil=True)
def _unmet_course_at(i: int, lvl: int, u: np.float32, need: np.ndarray, pathway: np.ndarray,
                     p_resolve: np.ndarray, p_escalate: np.ndarray) -> int:
    """Resident ``i``'s unmet need of level ``lvl`` today, from its float32 uniform ``u``
    (compared as float64): 1 resolved (need and pathway 0), 2 escalated one level, else 0."""
    r = np.float64(u)
    pr = p_resolve[lvl - 1]
    if r < pr:
        need[i] = 0
        pathway[i] = 0
        return 1
    if r < pr + p_escalate[lvl - 1]:
        need[i] = lvl + 1
        return 2
    return 0


@njit(cache=True, nogil=True)
def _start_episode_at(i: int, lvl: int, hidden: bool, domain_u: np.float32, edges: np.ndarray,
                      day: int, need: np.ndarray, need_onset: np.ndarray,
                      hidden_flag: np.ndarray, first_support: np.ndarray, matched: np.ndarray,
                      self_referred: np.ndarray, episodes: np.ndarray, ever_need: np.ndarray,
                      need_domain: np.ndarray) -> None:
    """A new need episode of level ``lvl`` for resident ``i`` (``need.start_episode``'s
    scatters) and its domain ``np.searchsorted(edges, domain_u, side="right")`` (the float32
    uniform compared as float64, as numpy does)."""
    need[i] = lvl
    need_onset[i] = day
    hidden_flag[i] = hidden
    first_support[i] = -1
    matched[i] = False
    self_referred[i] = False
    episodes[i] += 1
    ever_need[i] = True
    x = np.float64(domain_u)
    d = 0
    while d < edges.shape[0] and edges[d] <= x:
        d += 1
    need_domain[i] = d


@njit(cache=True, nogil=True)
def unmet_course(u: np.ndarray, need: np.ndarray, pathway: np.ndarray, waiting: int,
                 p_resolve: np.ndarray, p_escalate: np.ndarray) -> tuple[int, int, int]:
    """One day's course of unmet needs (``need > 0``, ``pathway <= waiting``): with the
    resident's float32 uniform ``r = u[i]`` and level ``lvl``, resolved (need and pathway 0)
    if ``r < p_resolve[lvl - 1]``, else escalated one level if
    ``r < p_resolve[lvl - 1] + p_escalate[lvl - 1]`` (float64 comparisons, as numpy
    compares a float32 array with float64 ones). The masks, gathers and scatters of
    the unmet course in one pass. Returns (residents in unmet need, resolved,
    escalated)."""
    n_unmet = n_res = n_esc = 0
    for i in range(need.shape[0]):
        lvl = need[i]
        if lvl > 0 and pathway[i] <= waiting:
            n_unmet += 1
            outcome = _unmet_course_at(i, lvl, u[i], need, pathway, p_resolve, p_escalate)
            n_res += outcome == 1
            n_esc += outcome == 2
    return n_unmet, n_res, n_esc


@njit(cache=True, nogil=True)
def start_episodes(idx: np.ndarray, levels: np.ndarray, hidden: np.ndarray,
                   domain_u: np.ndarray, edges: np.ndarray, day: int, need: np.ndarray,
                   need_onset: np.ndarray, hidden_flag: np.ndarray, first_support: np.ndarray,
                   matched: np.ndarray, self_referred: np.ndarray, episodes: np.ndarray,
                   ever_need: np.ndarray, need_domain: np.ndarray) -> None:
    """New need episodes for residents ``idx`` (distinct): ``need.start_episode``'s scatters
    and the need domain ``np.searchsorted(edges, domain_u[idx], side="right")`` (the
    float32 uniform compared as float64, as numpy does), in one pass."""
    for j in range(idx.shape[0]):
        _start_episode_at(idx[j], levels[j], hidden[j], domain_u[idx[j]], edges, day, need,
                          need_onset, hidden_flag, first_support, matched, self_referred,
                          episodes, ever_need, need_domain)


@njit(inline="always")
def _course_tables(p_resolve: np.ndarray, p_escalate: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """By need level 0-3, the float64 bounds of an unmet need's course (``_course_outcome``):
    resolved below ``p_resolve``, escalated below ``p_resolve + p_escalate`` (level 0: never),
    the sums ``_unmet_course_at`` makes."""
    below_res = np.full(4, -1.0)
    below_esc = np.full(4, -1.0)
    for k in range(3):
        below_res[k + 1] = p_resolve[k]
        below_esc[k + 1] = p_resolve[k] + p_escalate[k]
    return below_res, below_esc


@njit(inline="always")
def _course_outcome(lvl: int, u: np.float32, below_res: np.ndarray, below_esc: np.ndarray
                    ) -> int:
    """An unmet need of level ``lvl`` today, from its float32 uniform ``u`` (compared as
    float64) and the bounds of ``_course_tables``: 1 resolved, 2 escalated one level, else 0
    (as ``_unmet_course_at``)."""
    r = np.float64(u)
    if r < below_res[lvl]:
        return 1
    if r < below_esc[lvl]:
        return 2
    return 0


def stream_handle(rng: np.random.Generator) -> np.ndarray:
    """A numpy Generator's bit generator as a compiled kernel calls it: ``[state,
    next_uint32, inline, next_double]`` (uint64): its state's address, its ``next_uint32``
    function's, 1 if the kernel may step the state itself for float32 uniforms (a PCG64,
    once this process has checked that numpy lays out and steps PCG64 as
    :func:`_pcg64_next32_ir` does: ``_PCG64_INLINE``), else 0 (it calls ``next_uint32``), and
    its ``next_double`` function's (numpy's own float64 uniform, :func:`_double_from`). A
    kernel that draws through it (:func:`_uniform_at`, :func:`_double_from`) reads the stream
    as ``rng`` would and leaves it where ``rng`` would, with no Python work per call: numba's
    own unboxing of a Generator costs about 10 times a plain kernel call (three
    ``ctypes.cast`` calls and a type look-up each time). Valid while ``rng`` lives: keep
    ``rng`` referenced while it is used (:func:`model_stream_handles` does). A PCG64's handle
    goes on with its LCG's jumps of 2**j steps (:func:`_pcg64_jumps`), which
    :func:`_skip_uniforms` uses to pass over draws nobody reads."""
    return _stream_handle(rng, jumps=_PCG64_JUMPS)


def _stream_handle(rng: np.random.Generator, jumps: bool) -> np.ndarray:
    """:func:`stream_handle`, with a PCG64's jumps if ``jumps``."""
    c = rng.bit_generator.ctypes
    is_pcg64 = type(rng.bit_generator) is np.random.PCG64
    head = [c.state.value, ctypes.cast(c.next_uint32, ctypes.c_void_p).value,
            int(_PCG64_INLINE and is_pcg64), ctypes.cast(c.next_double, ctypes.c_void_p).value]
    if jumps and is_pcg64:  # the LCG's jumps, for skipping float32 draws (_skip_uniforms)
        head += _pcg64_jumps(rng.bit_generator.state["state"]["inc"])
    return np.array(head, np.uint64)


_GENERATOR_HANDLES: dict[int, tuple[np.random.Generator, np.ndarray]] = {}
"""Handles (:func:`stream_handle`, without jumps) of generators drawn from one value at a
time (:func:`index_below`), by ``id``, each with its generator (held, so its id and state
stay its own while the entry lives). Emptied when it reaches :data:`_MAX_GENERATOR_HANDLES`
entries, so the generators of models long gone are not kept."""
_MAX_GENERATOR_HANDLES = 4096


def generator_handle(rng: np.random.Generator) -> np.ndarray:
    """``rng``'s :func:`stream_handle` (without the jumps), made once and kept
    (:data:`_GENERATOR_HANDLES`)."""
    entry = _GENERATOR_HANDLES.get(id(rng))
    if entry is None or entry[0] is not rng:
        if len(_GENERATOR_HANDLES) >= _MAX_GENERATOR_HANDLES:
            _GENERATOR_HANDLES.clear()
        entry = _GENERATOR_HANDLES[id(rng)] = (rng, _stream_handle(rng, jumps=False))
    return entry[1]


@njit(inline="always")
def _integer_below(handle, n: int) -> int:
    """``int(rng.integers(n))`` for ``2 <= n <= 2**32`` drawn from the stream a
    :func:`stream_handle` names, as numpy draws it (``random_bounded_uint64_fill`` for a
    range within 32 bits: Lemire's multiply-and-reject on 32-bit words from the bit
    generator's ``next_uint32``, kept half words included), leaving the stream where numpy
    leaves it."""
    bound = np.uint64(n)  # rng + 1 in numpy's terms
    m = np.uint64(_next_uint32(handle[0], handle[1], handle[2])) * bound
    leftover = m & np.uint64(0xFFFFFFFF)
    if leftover < bound:
        threshold = (np.uint64(0xFFFFFFFF) - (bound - np.uint64(1))) % bound
        while leftover < threshold:
            m = np.uint64(_next_uint32(handle[0], handle[1], handle[2])) * bound
            leftover = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))


@njit(cache=True, nogil=True)
def index_below(handle: np.ndarray, n: int) -> int:
    """One ``int(rng.integers(n))``, ``2 <= n <= 2**32``, through ``rng``'s handle
    (:func:`generator_handle`): the same value and the same stream afterwards, without
    numpy's argument handling (about 1.3 us a call, AMD EPYC; this, about 0.2)."""
    return _integer_below(handle, n)


FLOYD_ABOVE = 10000
"""``Generator.choice(n, size=k, replace=False)`` of numpy takes Floyd's algorithm unless
``n > FLOYD_ABOVE`` and ``k > n // FLOYD_SHARE`` (then a shuffle of the tail of
``arange(n)``): :func:`floyd_applies`."""
FLOYD_SHARE = 50


def floyd_applies(n: int, k: int) -> bool:
    """Whether numpy's ``choice(n, size=k, replace=False)`` (``shuffle`` left true) draws
    by Floyd's algorithm, which :func:`choice_ranks` repeats; up to 2**32 options."""
    return 0 < k <= n <= 2**32 and (n <= FLOYD_ABOVE or k <= n // FLOYD_SHARE)


@njit(inline="always")
def _smeared(x):
    """The smallest all-ones bit mask at least ``x`` (numpy's ``_gen_mask``)."""
    m = np.uint64(x)
    for s in (1, 2, 4, 8, 16, 32):
        m |= m >> np.uint64(s)
    return m


@njit(inline="always")
def _floyd_ranks(handle, n: int, k: int) -> np.ndarray:
    """``rng.choice(n, size=k, replace=False)`` where numpy takes Floyd's algorithm
    (:func:`floyd_applies`): for ``j`` from ``n - k`` to ``n - 1`` a value ``0 .. j`` (numpy's
    ``random_bounded_uint64(0, j)``: Lemire's draw, :func:`_integer_below` of ``j + 1``;
    none for ``j = 0``) is taken if not yet chosen, else ``j``; then the ``k`` values are
    shuffled as numpy's ``_shuffle_int`` does (position ``i`` from ``k - 1`` down to 1
    swapped with one drawn ``0 .. i``). The same values in the same order, the stream left
    where numpy leaves it. Membership is kept in an open-addressed table as numpy's."""
    out = np.empty(k, np.int64)
    mask = _smeared(np.int64(1.2 * k))
    table = np.full(np.int64(mask) + 1, -1, np.int64)
    for j in range(n - k, n):
        val = np.int64(0) if j == 0 else _integer_below(handle, j + 1)
        loc = np.uint64(val) & mask
        while table[loc] != -1 and table[loc] != val:
            loc = (loc + np.uint64(1)) & mask
        if table[loc] == -1:
            table[loc] = val
            out[j - n + k] = val
        else:
            loc = np.uint64(j) & mask
            while table[loc] != -1:
                loc = (loc + np.uint64(1)) & mask
            table[loc] = j
            out[j - n + k] = j
    for i in range(k - 1, 0, -1):
        t = _integer_below(handle, i + 1)
        out[i], out[t] = out[t], out[i]
    return out


@njit(cache=True, nogil=True)
def choice_ranks(handle: np.ndarray, n: int, k: int) -> np.ndarray:
    """``rng.choice(n, size=k, replace=False)`` through ``rng``'s handle where numpy takes
    Floyd's algorithm (:func:`floyd_applies`; :func:`_floyd_ranks`): the same values in the
    same order and the stream left where numpy leaves it, without numpy's argument handling
    (``choice`` costs several microseconds before it draws, more in place)."""
    return _floyd_ranks(handle, n, k)


@njit(cache=True, nogil=True)
def latent_applicants(handle: np.ndarray, codes: np.ndarray, code: int, n_code: int, k: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The day's applicants (``sim.processes.volunteering.applications``): ``k`` of the
    ``n_code`` residents whose code is ``code`` drawn as ``np.sort(rng.choice(n_code, size=k,
    replace=False))`` picks their places among them (:func:`choice_ranks`, so only where
    :func:`floyd_applies`), their rows (:func:`rows_of_code_at_ranks`), and ``rng.random(k)``
    after: one call for numpy's three."""
    ranks = np.sort(_floyd_ranks(handle, n_code, k))
    rows = rows_of_code_at_ranks(codes, code, ranks)
    draws = np.empty(k)
    for j in range(k):
        draws[j] = _double_from(handle)
    return rows, draws


@njit(cache=True, nogil=True)
def permuted(handle: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``rng.permutation(values)`` of a one-dimensional array through ``rng``'s handle: a
    copy shuffled as numpy's ``_shuffle_raw`` does (position ``i`` from the last down to 1
    swapped with one drawn ``0 .. i`` by ``random_interval``: 32-bit words masked to the
    smallest mask covering ``i``, rejected above it), the stream left where numpy leaves
    it. Up to 2**32 values."""
    out = values.copy()
    for i in range(out.shape[0] - 1, 0, -1):
        mask = _smeared(i)
        while True:
            t = np.uint64(_next_uint32(handle[0], handle[1], handle[2])) & mask
            if t <= np.uint64(i):
                break
        out[i], out[t] = out[t], out[i]
    return out


_MODEL_HANDLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each model's streams that kernels draw from and their :func:`stream_handle`, by stream
names (kept beside the model, not on it: a saved state or a fork has its own streams)."""
_LAST_MODEL_HANDLES: tuple = (lambda: None, {})
"""The model :func:`model_stream_handles` was last asked about (a weak reference) and its
entry of ``_MODEL_HANDLES``: a model's day asks about a dozen times, always the same model."""


def model_stream_handles(model, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The :func:`stream_handle` of the model's streams ``names`` (``model.streams[name]``),
    made once and kept with the streams themselves (so the addresses stay valid); made afresh
    if the model's streams were replaced (a new ``model.streams``: a ``Streams`` makes each
    of its generators once and keeps it)."""
    global _LAST_MODEL_HANDLES
    streams = model.streams
    last_model, per_model = _LAST_MODEL_HANDLES
    if last_model() is not model:  # another model than last time (a weak reference: the
        per_model = _MODEL_HANDLES.get(model)  # look-up in the weak dictionary is slower)
        if per_model is None:
            per_model = _MODEL_HANDLES[model] = {}
        _LAST_MODEL_HANDLES = (weakref.ref(model), per_model)
    cached = per_model.get(names)
    if cached is None or cached[0] is not streams:
        gens = tuple(streams[name] for name in names)
        cached = per_model[names] = (streams, gens, tuple(stream_handle(g) for g in gens))
    return cached[2]


_PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128
_PCG64_INLINE = False  # set by _check_pcg64_inline() at import
_PCG64_JUMPS = False  # set by _check_pcg64_jumps() at import
_HANDLE_HEAD = 4  # a handle's first entries: state, next_uint32, inline, next_double
_JUMPS = 63  # jumps of 2**j LCG steps, j < 63: any int64 count of steps


def _pcg64_jumps(inc: int) -> list[int]:
    """The 128-bit LCG ``s -> M * s + inc`` (PCG64's step) applied ``2**j`` times, as the
    affine map ``s -> A_j * s + C_j`` (mod 2**128), for j < ``_JUMPS``: ``[A_j >> 64, A_j
    mod 2**64, C_j >> 64, C_j mod 2**64]`` for each j in turn (``C_0`` is ``inc``, which
    :func:`_skip_handle` checks against the stream's own). Twice a map is ``A**2`` and ``(A +
    1) * C``: the jump-ahead of Brown (1994) that numpy's ``PCG64.advance`` uses."""
    mask, word = (1 << 128) - 1, (1 << 64) - 1
    a, c = _PCG64_MULTIPLIER, inc & mask
    out: list[int] = []
    for _ in range(_JUMPS):
        out += [a >> 64, a & word, c >> 64, c & word]
        a, c = (a * a) & mask, (c * (a + 1)) & mask
    return out


def _pcg64_parts(builder, state_address):
    """The ``pcg64_state`` at ``state_address``: pointers to its ``has_uint32`` flag, and to
    its LCG state and increment (native 128-bit integers; :func:`_pcg64_next32_ir`)."""
    i32, i128 = ir.IntType(32), ir.IntType(128)
    zero = ir.Constant(i32, 0)
    header = builder.inttoptr(state_address, ir.LiteralStructType(
        [ir.IntType(8).as_pointer(), i32, i32]).as_pointer())
    has_ptr = builder.gep(header, [zero, ir.Constant(i32, 1)], inbounds=True)
    pcg = builder.bitcast(builder.load(builder.gep(header, [zero, zero], inbounds=True)),
                          ir.LiteralStructType([i128, i128]).as_pointer())
    return (has_ptr, builder.gep(pcg, [zero, zero], inbounds=True),
            builder.gep(pcg, [zero, ir.Constant(i32, 1)], inbounds=True))


def _i128(builder, hi, lo):
    """The 128-bit integer ``hi * 2**64 + lo`` of two uint64 values."""
    i128 = ir.IntType(128)
    return builder.or_(builder.shl(builder.zext(hi, i128), ir.Constant(i128, 64)),
                       builder.zext(lo, i128))


@intrinsic
def _pcg64_jump(typingctx, state, a_hi, a_lo, c_hi, c_lo):
    """Moves the PCG64 at ``state`` (a :func:`stream_handle`'s first entry) by the affine map
    ``s -> A * s + C`` of one of its jumps (:func:`_pcg64_jumps`); its kept half word is left
    alone. Returns 0."""
    sig = types.int64(types.uint64, types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        state_address, ah, al, ch, cl = args
        _, s_ptr, _ = _pcg64_parts(builder, state_address)
        s = builder.load(s_ptr, align=8)
        builder.store(builder.add(builder.mul(_i128(builder, ah, al), s),
                                  _i128(builder, ch, cl)), s_ptr, align=8)
        return ir.Constant(ir.IntType(64), 0)

    return sig, codegen


@intrinsic
def _pcg64_has_kept(typingctx, state, c_hi, c_lo):
    """1 if the PCG64 at ``state`` keeps a half word (its next float32 reads it, no step),
    else 0; -1 if its increment is not ``C_0`` (``c_hi``, ``c_lo``: the jumps are not its)."""
    sig = types.int64(types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        state_address, ch, cl = args
        has_ptr, _, inc_ptr = _pcg64_parts(builder, state_address)
        i64 = ir.IntType(64)
        same = builder.icmp_unsigned("==", builder.load(inc_ptr, align=8), _i128(builder, ch, cl))
        kept = builder.zext(builder.icmp_unsigned("!=", builder.load(has_ptr),
                                                  ir.Constant(ir.IntType(32), 0)), i64)
        return builder.select(same, kept, ir.Constant(i64, -1))

    return sig, codegen


def _pcg64_next32_ir(builder, state_address):
    """numpy's ``pcg64_next32`` on the ``pcg64_state`` at ``state_address`` (i64), as LLVM IR:
    the half word kept from the last 64-bit output if there is one, else the 128-bit LCG
    stepped (``state * multiplier + inc``) and its XSL-RR output's low half returned and high
    half kept. The layout (``{pcg64_random_t *pcg_state; int has_uint32; uint32_t
    uinteger}``, the state and increment as native little-endian 128-bit integers) is numpy's
    on platforms with ``__uint128_t``; :func:`_check_pcg64_inline` confirms it against numpy
    at import."""
    i32, i64, i128 = ir.IntType(32), ir.IntType(64), ir.IntType(128)
    zero = ir.Constant(i32, 0)
    header = builder.inttoptr(state_address, ir.LiteralStructType(
        [ir.IntType(8).as_pointer(), i32, i32]).as_pointer())
    has_ptr = builder.gep(header, [zero, ir.Constant(i32, 1)], inbounds=True)
    word_ptr = builder.gep(header, [zero, ir.Constant(i32, 2)], inbounds=True)
    with builder.if_else(builder.icmp_unsigned("!=", builder.load(has_ptr), zero)) as (
            kept_half, step):
        with kept_half:
            builder.store(zero, has_ptr)
            kept = builder.load(word_ptr)
            kept_block = builder.block
        with step:
            pcg = builder.bitcast(builder.load(builder.gep(header, [zero, zero], inbounds=True)),
                                  ir.LiteralStructType([i128, i128]).as_pointer())
            s_ptr = builder.gep(pcg, [zero, zero], inbounds=True)
            inc = builder.load(builder.gep(pcg, [zero, ir.Constant(i32, 1)], inbounds=True),
                               align=8)
            s = builder.add(builder.mul(builder.load(s_ptr, align=8),
                                        ir.Constant(i128, _PCG64_MULTIPLIER)), inc)
            builder.store(s, s_ptr, align=8)
            x = builder.xor(builder.trunc(builder.lshr(s, ir.Constant(i128, 64)), i64),
                            builder.trunc(s, i64))
            rot = builder.trunc(builder.lshr(s, ir.Constant(i128, 122)), i64)
            left = builder.and_(builder.sub(ir.Constant(i64, 0), rot), ir.Constant(i64, 63))
            out = builder.or_(builder.lshr(x, rot), builder.shl(x, left))
            builder.store(ir.Constant(i32, 1), has_ptr)
            builder.store(builder.trunc(builder.lshr(out, ir.Constant(i64, 32)), i32), word_ptr)
            fresh = builder.trunc(out, i32)
            step_block = builder.block
    value = builder.phi(i32)
    value.add_incoming(kept, kept_block)
    value.add_incoming(fresh, step_block)
    return value


@intrinsic
def _next_uint32(typingctx, state, function, inline):
    """The next 32 random bits of the stream at ``state`` (the three uint64 of a
    :func:`stream_handle`): with ``inline`` 1 a PCG64 stepped in place by the caller's own
    code (:func:`_pcg64_next32_ir`: about 1 ns a draw), else a call of the bit generator's
    ``next_uint32(state)`` at address ``function`` (about 6 ns, AMD EPYC)."""
    sig = types.uint32(types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        state_address, function_address, inline_flag = args
        with builder.if_else(builder.icmp_unsigned(
                "!=", inline_flag, ir.Constant(ir.IntType(64), 0))) as (in_line, call):
            with in_line:
                stepped = _pcg64_next32_ir(builder, state_address)
                in_line_block = builder.block
            with call:
                void_p = ir.IntType(8).as_pointer()
                fn_type = ir.FunctionType(ir.IntType(32), [void_p])
                fn = builder.inttoptr(function_address, fn_type.as_pointer())
                called = builder.call(fn, [builder.inttoptr(state_address, void_p)])
                call_block = builder.block
        value = builder.phi(ir.IntType(32))
        value.add_incoming(stepped, in_line_block)
        value.add_incoming(called, call_block)
        return value

    return sig, codegen


def _uniform_at(source, i: int) -> np.float32:
    """The uniform of position ``i``: ``source[i]`` of an array of float32 uniforms, or the
    next float32 uniform of the stream a :func:`stream_handle` (uint64) names, compiled:
    numpy's float32 uniform, ``(next_uint32() >> 8) * 2**-24``, so called once for each
    position in order it gives the values ``random(n, dtype=np.float32)`` would, and leaves
    the stream where that leaves it."""
    return source[i]


@overload(_uniform_at, inline="always")
def _uniform_at_compiled(source, i):
    if isinstance(source, types.Array) and isinstance(source.dtype, types.Float):
        return lambda source, i: source[i]
    if isinstance(source, types.Array) and source.dtype == types.uint64:
        scale = np.float32(1.0 / 16777216.0)

        def draw(source, i):
            word = _next_uint32(source[0], source[1], source[2])
            return np.float32(word >> np.uint32(8)) * scale  # below 2**24: exact

        return draw
    return None


_SKIP_BY_DRAWS = 16
"""Skips of at most this many float32 draws are drawn, in the caller's own loop
(:func:`_skip_uniforms`): cheaper than a jump, and than a call of :func:`_skip_handle`, whose
handle argument is counted in and out (``need_day`` read the course stream for about one
resident in seven at the Sobol design's midpoint: 44-47 us a day with a call per gap, 34-37
with the short gaps drawn in its loop; AMD EPYC, 2026-12-07; it now draws that stream for
everyone, 43.3 -> 40.8 us a call alone, medians of 8 alternated blocks, 2026-12-07)."""


@njit(nogil=True)
def _skip_handle(handle, k: int) -> None:
    """Passes over the next ``k`` float32 uniforms of the stream ``handle`` names, leaving it
    exactly (state, kept half word and its value) where drawing them would: a PCG64 stepped in
    line uses a kept half word first, jumps over all but the last of the whole 64-bit
    outputs left (its jumps by the binary digits of their count) and draws that one as its
    two halves, then one more if the count left was odd; a short skip, another bit
    generator, or a stream whose increment is not its jumps' (its state was replaced), draws
    all ``k``."""
    if k <= 0:
        return
    kept = -1
    if handle[2] != 0 and k > _SKIP_BY_DRAWS and handle.shape[0] >= _HANDLE_HEAD + 4 * _JUMPS:
        kept = _pcg64_has_kept(handle[0], handle[_HANDLE_HEAD + 2], handle[_HANDLE_HEAD + 3])
    if kept < 0:
        for _ in range(k):
            _next_uint32(handle[0], handle[1], handle[2])
        return
    if kept == 1:  # the kept half first
        _next_uint32(handle[0], handle[1], handle[2])
        k -= 1
    pairs = k >> 1  # whole 64-bit outputs; the last is drawn, for the half word it leaves
    steps = pairs - 1
    j = 0
    while steps > 0:
        if steps & 1:
            b = _HANDLE_HEAD + 4 * j
            _pcg64_jump(handle[0], handle[b], handle[b + 1], handle[b + 2], handle[b + 3])
        steps >>= 1
        j += 1
    if pairs > 0:
        _next_uint32(handle[0], handle[1], handle[2])
        _next_uint32(handle[0], handle[1], handle[2])
    if k & 1:
        _next_uint32(handle[0], handle[1], handle[2])


def _skip_uniforms(source, k: int) -> None:
    """Passes over ``k`` float32 uniforms of ``source``: nothing for an array of them (read
    by position, :func:`_uniform_at`); for a stream's handle, up to :data:`_SKIP_BY_DRAWS`
    drawn in the caller's own code, more by :func:`_skip_handle` (a PCG64's jumps). A kernel
    that reads uniform ``i`` only for some positions skips the rest this way, and the
    stream ends where drawing them all would leave it."""


@overload(_skip_uniforms, inline="always")
def _skip_uniforms_compiled(source, k):
    if isinstance(source, types.Array) and isinstance(source.dtype, types.Float):
        return lambda source, k: None
    if isinstance(source, types.Array) and source.dtype == types.uint64:
        def skip(source, k):
            if k <= _SKIP_BY_DRAWS:  # drawn in the caller's own loop: no call, which costs
                for _ in range(k):  # more than the draws (the handle passed, counted)
                    _next_uint32(source[0], source[1], source[2])
            else:
                _skip_handle(source, k)

        return skip
    return None


@intrinsic
def _next_double(typingctx, state, function):
    """numpy's next float64 uniform of the stream at ``state``: a call of its bit generator's
    ``next_double(state)`` at address ``function`` (the two uint64 of a
    :func:`stream_handle`): what ``Generator.random()`` draws, one value at a time."""
    sig = types.float64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        state_address, function_address = args
        void_p = ir.IntType(8).as_pointer()
        fn_type = ir.FunctionType(ir.DoubleType(), [void_p])
        fn = builder.inttoptr(function_address, fn_type.as_pointer())
        return builder.call(fn, [builder.inttoptr(state_address, void_p)])

    return sig, codegen


@njit(inline="always")
def _double_from(handle) -> float:
    """The next float64 uniform of the stream a :func:`stream_handle` names: called ``n``
    times in order it gives the values ``random(n)`` would, and leaves the stream where that
    leaves it (numpy fills an array one draw at a time)."""
    return _next_double(handle[0], handle[3])


@njit(cache=True, nogil=True)
def need_day(u, onset_p: np.ndarray, mult: np.float32, domain_u, course_u,
             low_below: np.float32, moderate_below: np.float32,
             hidden_below: np.float32, edges: np.ndarray, p_resolve: np.ndarray,
             p_escalate: np.ndarray, waiting: int, first_supported: int, day: int,
             need: np.ndarray, pathway: np.ndarray, until: np.ndarray, need_onset: np.ndarray,
             hidden_flag: np.ndarray, first_support: np.ndarray, matched: np.ndarray,
             self_referred: np.ndarray, episodes: np.ndarray, ever_need: np.ndarray,
             need_domain: np.ndarray) -> tuple[int, int, int, int, np.ndarray]:
    """The residents' need (``sim.processes.need.day``), resident by resident as the three stages
    did in turn over everyone: onset (``onset_candidates``, then the level and hidden flag from
    ``v = u / p`` and the episode, ``start_episodes``), the course of an unmet need
    (``unmet_course``) and support that ends today (``support_due``). ``u``, ``domain_u`` and
    ``course_u`` give each resident's three uniforms (:func:`_uniform_at`): arrays of them, or
    the :func:`stream_handle` of the three Generators that would have filled them (the model's
    streams: resident ``i``'s uniforms are the ``i``-th of the day in each, whether used or
    not, so the day costs no arrays of draws written and read back; the domain uniform, read
    only at an onset, is passed over where nobody reads it (:func:`_skip_uniforms`: short
    gaps drawn, long ones jumped by a PCG64's LCG), leaving the stream where drawing them all
    would; the course uniform, read in unmet need or at an onset (about one resident in
    seven), is drawn for everyone: the gaps between those are short, and passing over them
    cost more in branches than the draws). ``p`` is
    ``onset_p * mult`` in float32; ``v``, ``v * 997 % 1`` and their thresholds (``low_below``,
    ``moderate_below``, ``hidden_below``) are float32, as numpy computes a float32 array with
    Python floats. A resident's stages read and write only that resident's entries, so the
    arrays are those of three passes; a new episode (a few residents in a thousand) and its
    course are done after the pass over everyone, with the uniforms kept for it, which keeps
    that pass's loop small (about twice as fast at 3,000,000 residents). Returns (onsets,
    residents in unmet need, resolved, escalated, the rows whose support ends today)."""
    n = need.shape[0]
    due = np.empty(n, np.int64)
    onsets = np.empty(n, np.int64)
    kept = np.empty((n, 3), np.float32)  # an onset's three uniforms (untouched beyond them)
    n_due = n_onset = n_unmet = n_res = n_esc = 0
    below_res, below_esc = _course_tables(p_resolve, p_escalate)
    domain_skip = 0  # positions passed over since the last read
    for i in range(n):
        ui = _uniform_at(u, i)  # read for everyone (the onset draw)
        # the course uniform too: drawn for everyone, read in unmet need or at an onset
        # (passing over the rest in short gaps cost more than drawing them, in branches)
        ci = _uniform_at(course_u, i)
        lvl = need[i]
        pw = pathway[i]  # the course changes it only below first_supported
        onset = lvl == 0 and ui < onset_p[i] * mult
        unmet = lvl > 0 and pw <= waiting
        if onset:  # a new episode: after this pass
            _skip_uniforms(domain_u, domain_skip)
            domain_skip = 0
            onsets[n_onset] = i
            kept[n_onset, 0] = ui
            kept[n_onset, 1] = _uniform_at(domain_u, i)
            kept[n_onset, 2] = ci
            n_onset += 1
        else:
            domain_skip += 1
        if unmet:
            n_unmet += 1
            outcome = _course_outcome(lvl, ci, below_res, below_esc)
            if outcome == 1:  # resolved
                need[i] = 0
                pathway[i] = 0
                n_res += 1
            elif outcome == 2:  # escalated
                need[i] = lvl + 1
                n_esc += 1
        if pw >= first_supported and until[i] <= day:
            due[n_due] = i
            n_due += 1
    _skip_uniforms(domain_u, domain_skip)  # the stream ends where drawing for all leaves it
    one = np.float32(1.0)
    for j in range(n_onset):
        i = onsets[j]
        p = onset_p[i] * mult
        v = kept[j, 0] / p
        if v < low_below:
            lvl = 1
        elif v < moderate_below:
            lvl = 2
        else:
            lvl = 3
        _start_episode_at(i, lvl, (v * np.float32(997.0)) % one < hidden_below, kept[j, 1],
                          edges, day, need, need_onset, hidden_flag, first_support, matched,
                          self_referred, episodes, ever_need, need_domain)
        if pathway[i] <= waiting:
            n_unmet += 1
            outcome = _course_outcome(lvl, kept[j, 2], below_res, below_esc)
            if outcome == 1:
                need[i] = 0
                pathway[i] = 0
                n_res += 1
            elif outcome == 2:
                need[i] = lvl + 1
                n_esc += 1
    return n_onset, n_unmet, n_res, n_esc, due[:n_due].copy()


@njit(cache=True, nogil=True)
def pair_keys(edges: np.ndarray, n: int) -> np.ndarray:
    """``lo * n + hi`` of each pair of ``edges`` (rows (a, b)) that is not a self-loop, lo
    and hi its smaller and larger end, in edge order (int64): one array, where the numpy
    steps made eight of the same size (a 3,000,000-resident county has 7.5 million ties)."""
    keys = np.empty(edges.shape[0], np.int64)
    k = 0
    for e in range(edges.shape[0]):
        a, b = np.int64(edges[e, 0]), np.int64(edges[e, 1])
        if a != b:
            keys[k] = a * n + b if a < b else b * n + a
            k += 1
    return keys[:k]


@njit(cache=True, nogil=True)
def pairs_of_sorted_keys(keys: np.ndarray, n: int) -> np.ndarray:
    """The distinct pairs ``(key // n, key % n)`` of sorted ``keys``, in order, as an (m, 2)
    int64 array."""
    m = 0
    for e in range(keys.shape[0]):
        m += e == 0 or keys[e] != keys[e - 1]
    out = np.empty((m, 2), np.int64)
    k = 0
    for e in range(keys.shape[0]):
        if e == 0 or keys[e] != keys[e - 1]:
            out[k, 0] = keys[e] // n
            out[k, 1] = keys[e] % n
            k += 1
    return out


@njit(cache=True, nogil=True)
def symmetric_csr(edges: np.ndarray, n: int, indices: np.ndarray) -> np.ndarray:
    """The symmetric adjacency of ``n`` residents from ``edges`` (pairs i < j, sorted by i then
    j, each once: ``topology.builders.canonical_edges``) in CSR form, each row's neighbours in
    increasing order: written to ``indices`` (2 x the edges); returns the row pointers (n +
    1). Row r's lower neighbours come from pairs (i, r) and its higher from (r, j), which sort
    after them, so filling rows in pair order leaves every row sorted. An empty array when
    the pairs are not in that form (the caller builds it another way)."""
    indptr = np.zeros(n + 1, np.int64)
    for e in range(edges.shape[0]):
        i, j = edges[e, 0], edges[e, 1]
        if not 0 <= i < j < n or (e > 0 and (i < edges[e - 1, 0] or (
                i == edges[e - 1, 0] and j <= edges[e - 1, 1]))):
            return np.zeros(0, np.int64)
        indptr[i + 1] += 1
        indptr[j + 1] += 1
    for r in range(n):
        indptr[r + 1] += indptr[r]
    fill = indptr[:-1].copy()
    for e in range(edges.shape[0]):
        i, j = edges[e, 0], edges[e, 1]
        indices[fill[i]] = j
        fill[i] += 1
        indices[fill[j]] = i
        fill[j] += 1
    return indptr


@njit(cache=True, nogil=True)
def tasks_done(worked: np.ndarray, hours: np.ndarray, trained: np.ndarray, used: np.ndarray,
               last_task: np.ndarray, applied_day: np.ndarray, goodwill: np.ndarray,
               vstate: np.ndarray, hospital: np.ndarray, day: int, gain: np.float32,
               idle_after: int, active: int, idle: int) -> tuple[int, int, int]:
    """Today's tasks done by volunteers ``worked`` (distinct, with float32 ``hours``), then
    every trained volunteer (``trained``, a superset) active, or idle after ``idle_after``
    days without a task: ``CommunityModel.volunteer_tasks`` (hours off this week's offer,
    last task today, first tasks since applying, goodwill ``min(goodwill + gain, 2)`` in
    float32) and the idling of ``volunteering.allocate_tasks``, in two passes. Returns (first
    tasks, their days since applying, tasks by hospital volunteers)."""
    n_first = 0
    sum_first = 0
    n_hospital = 0
    two = np.float32(2.0)
    for j in range(worked.shape[0]):
        i = worked[j]
        used[i] += hours[j]
        last_task[i] = day
        since = applied_day[i]
        if since >= 0:
            n_first += 1
            sum_first += day - since
            applied_day[i] = -1
        g = goodwill[i] + gain
        goodwill[i] = g if g < two else two
        n_hospital += hospital[i]
    for j in range(trained.shape[0]):
        i = trained[j]
        vstate[i] = idle if day - last_task[i] > idle_after else active
    return n_first, sum_first, n_hospital


@njit(cache=True, nogil=True)
def lose_goodwill(rows: np.ndarray, vstate: np.ndarray, vorg: np.ndarray, goodwill: np.ndarray,
                  cover_waiting: np.ndarray, cover_idle: np.ndarray, gap: float,
                  decay_waiting: float, decay_idle: float, applied: int, onboarding: int,
                  idle: int, stood_down: int, active: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The goodwill lost today by volunteers waiting (``applied``, ``onboarding``) and idle
    (``idle``, ``stood_down``): each loses ``float32(decay * slow[vorg[i]])``, where ``slow =
    1.0 + gap * (1.0 - cover)`` is its organisation's factor from its contact cover (float64;
    a vorg of -1 reads the last, as numpy's indexing does). One pass
    instead of ``volunteering.goodwill_and_dropout``'s masks, gathers and scatters. Returns the
    float32 losses of the waiting and of the idle (resident order, for numpy's float64
    sums), those of each whose goodwill ran out, and the active (all as numpy selected them,
    before anyone lapses). Only residents ``rows`` (ascending, including every volunteer in
    these states) are read."""
    n = rows.shape[0]
    slow_waiting = 1.0 + gap * (1.0 - cover_waiting)
    slow_idle = 1.0 + gap * (1.0 - cover_idle)
    loss_w = np.empty(n, np.float32)
    loss_i = np.empty(n, np.float32)
    gone_w = np.empty(n, np.int64)
    gone_i = np.empty(n, np.int64)
    act = np.empty(n, np.int64)
    kw = ki = gw = gi = ka = 0
    for j in range(n):
        i = rows[j]
        s = vstate[i]
        if s == active:
            act[ka] = i
            ka += 1
        elif s == applied or s == onboarding:
            loss = np.float32(decay_waiting * slow_waiting[vorg[i]])
            g = goodwill[i] - loss
            goodwill[i] = g
            loss_w[kw] = loss
            kw += 1
            if g <= 0:
                gone_w[gw] = i
                gw += 1
        elif s == idle or s == stood_down:
            loss = np.float32(decay_idle * slow_idle[vorg[i]])
            g = goodwill[i] - loss
            goodwill[i] = g
            loss_i[ki] = loss
            ki += 1
            if g <= 0:
                gone_i[gi] = i
                gi += 1
    return (loss_w[:kw].copy(), loss_i[:ki].copy(), gone_w[:gw].copy(), gone_i[:gi].copy(),
            act[:ka].copy())


@njit(cache=True, nogil=True)
def lapse(idx: np.ndarray, vstate: np.ndarray, vsince: np.ndarray, vapplied_day: np.ndarray,
          vmoved_day: np.ndarray, vpassported: np.ndarray, vwork_hours: np.ndarray,
          lapsed: int, day: int) -> None:
    """Volunteers ``idx`` lapse today (``goodwill_and_dropout``'s scatters in one call); the
    hours booked on an application or induction they were waiting for go with it."""
    for j in range(idx.shape[0]):
        i = idx[j]
        vstate[i] = lapsed
        vsince[i] = day
        vapplied_day[i] = -1
        vmoved_day[i] = -1
        vpassported[i] = False
        vwork_hours[i] = 0.0


@njit(cache=True, nogil=True)
def seekers_today(candidates: np.ndarray, u: np.ndarray, pathway: np.ndarray, waiting: int,
                  p_seek: float, p_seek_waiting: float) -> tuple[np.ndarray, np.ndarray]:
    """Those of ``candidates`` (in order, with float64 uniforms ``u``) who seek help today:
    ``u < p_seek_waiting`` for those waiting for a link worker (``pathway == waiting``),
    else ``u < p_seek``; with their waiting flags (``help_seeking.seek_help``'s gather,
    masks and selections in one pass)."""
    m = candidates.shape[0]
    out = np.empty(m, np.int64)
    flag = np.empty(m, np.bool_)
    k = 0
    for j in range(m):
        i = candidates[j]
        w = pathway[i] == waiting
        if u[j] < (p_seek_waiting if w else p_seek):
            out[k] = i
            flag[k] = w
            k += 1
    return out[:k].copy(), flag[:k].copy()


@njit(cache=True, nogil=True)
def support_outcomes(idx: np.ndarray, r: np.ndarray, factor: np.ndarray, need: np.ndarray,
                     pathway: np.ndarray, poor_fit: np.ndarray, p_complex: float,
                     p_other: float, poor_factor: float, complex_level: int, low_level: int
                     ) -> np.ndarray:
    """``need.complete_support`` for residents ``idx`` (distinct) after their group places
    are released: with float64 uniforms ``r``, resolved if ``r < p * factor`` (``p``:
    ``p_complex`` for a complex need, else ``p_other``; times ``poor_factor`` after a
    placement that did not fit, read from ``poor_fit`` as it was: the caller passes a copy),
    else one level lower (at least ``low_level``); pathway NONE (0). ``factor`` has one value
    for all or one per resident. Returns the resolved flags."""
    m = idx.shape[0]
    resolved = np.empty(m, np.bool_)
    one = factor.shape[0] == 1
    for j in range(m):
        i = idx[j]
        lvl = need[i]
        p = (p_complex if lvl >= complex_level else p_other) * factor[0 if one else j]
        if poor_fit[j]:
            p = p * poor_factor
        res = r[j] < p
        resolved[j] = res
        if res:
            need[i] = 0
        else:
            need[i] = max(lvl - 1, low_level)
        pathway[i] = 0
    return resolved


@njit(cache=True, nogil=True)
def complete_support_rows(idx: np.ndarray, r: np.ndarray, factor: np.ndarray,
                          need: np.ndarray, pathway: np.ndarray, provider: np.ndarray,
                          disruptive: np.ndarray, poor_fit: np.ndarray, clients: np.ndarray,
                          disruptive_clients: np.ndarray, listed: np.ndarray, n_org: int,
                          p_complex: float, p_other: float, poor_factor: float,
                          complex_level: int, low_level: int, moderate_level: int
                          ) -> tuple[int, np.ndarray, np.ndarray]:
    """``need.complete_support`` for residents ``idx`` (distinct) in one pass: their group
    places released on the groups' columns (``clients``, ``disruptive_clients``: the
    ``n_clients`` and ``n_disruptive`` of ``GroupState``, each lowered by one per resident
    and never below 0, which is ``VCSEGroup.release(places, disruptive)`` of the group's
    total), then ``support_outcomes`` with each resident's poor fit as it was, and the
    residents not resolved whose need is still moderate or complex and whose provider is on
    the directory (``listed``), in the order of ``idx``: it may refer them on. Returns
    (resolved, the organisations whose columns changed, in organisation order, the onward
    candidates)."""
    m = idx.shape[0]
    touched = np.zeros(n_org, np.bool_)
    onward = np.empty(m, np.int64)
    one = factor.shape[0] == 1
    n_res = n_onward = 0
    for j in range(m):
        i = idx[j]
        g = provider[i]
        if g >= 0:
            touched[g] = True
            c = clients[g] - 1
            clients[g] = c if c > 0 else 0
            if disruptive[i]:
                d = disruptive_clients[g] - 1
                disruptive_clients[g] = d if d > 0 else 0
        poor = poor_fit[i]
        provider[i] = -1
        disruptive[i] = False
        poor_fit[i] = False
        lvl = need[i]
        p = (p_complex if lvl >= complex_level else p_other) * factor[0 if one else j]
        if poor:
            p = p * poor_factor
        if r[j] < p:
            need[i] = 0
            n_res += 1
        else:
            lvl = max(lvl - 1, low_level)
            need[i] = lvl
            if g >= 0 and lvl >= moderate_level and listed[g]:
                onward[n_onward] = i
                n_onward += 1
        pathway[i] = 0
    return n_res, np.flatnonzero(touched), onward[:n_onward].copy()


@njit(cache=True, nogil=True)
def help_seekers_today(stream: np.ndarray, in_need: np.ndarray, need: np.ndarray,
                       pathway: np.ndarray, need_min: int, waiting: int, p_seek: float,
                       p_seek_waiting: float, gp: np.ndarray, digital: np.ndarray,
                       unit: np.ndarray, degree: np.ndarray, gp_access: np.ndarray,
                       lw_awareness: np.ndarray, has_groups: np.ndarray,
                       has_intermediary: np.ndarray, w_gp: float, w_self: float,
                       mult_digital: float, mult_excluded: float, w_informal: float,
                       w_group: float, w_intermediary: float) -> tuple[np.ndarray, np.ndarray]:
    """``help_seeking.seek_help``'s selections in one call: of ``in_need`` (residents in
    need, in order) those with a need of at least ``need_min`` and nothing under way or
    waiting (:func:`rows_in_need_and_pathway`); who of them seeks help today
    (:func:`seekers_today`, one float64 uniform of ``stream`` each, in order); their channel
    weights (:func:`channel_weights`; the GP and self-referral at 0 for those already
    waiting), those with some weight, and the channel each takes (:func:`choose_channels`,
    one uniform each, after those; the row sums added in order, as numpy's). Draws nothing
    where nobody is left to draw for, as the numpy steps did. Returns the seekers with a
    channel (in order; seekers whose weights are all 0 are left out) and their channels."""
    nobody = np.empty(0, np.int64)
    candidates = rows_in_need_and_pathway(in_need, need, pathway, need_min, waiting)
    m = candidates.shape[0]
    if m == 0:
        return nobody, nobody
    u = np.empty(m)
    for j in range(m):
        u[j] = _double_from(stream)
    seekers, is_waiting = seekers_today(candidates, u, pathway, waiting, p_seek,
                                        p_seek_waiting)
    if seekers.shape[0] == 0:
        return nobody, nobody
    w = channel_weights(seekers, gp, digital, unit, degree, gp_access, lw_awareness,
                        has_groups, has_intermediary, w_gp, w_self, mult_digital,
                        mult_excluded, w_informal, w_group, w_intermediary)
    k = 0
    for r in range(seekers.shape[0]):
        if is_waiting[r]:  # already referred: ties, a group or an intermediary
            w[r, 0] = 0.0
            w[r, 1] = 0.0
        t = 0.0
        for c in range(5):
            t += w[r, c]
        if t > 0:  # rows with some weight, kept in order
            seekers[k] = seekers[r]
            for c in range(5):
                w[k, c] = w[r, c]
            u[k] = t  # their row sums (u's first entries are free now)
            k += 1
    draw = np.empty(k)
    for j in range(k):
        draw[j] = _double_from(stream)
    return seekers[:k].copy(), choose_channels(w[:k], u[:k], draw)


@njit(cache=True, nogil=True)
def consultations_today(stream: np.ndarray, in_need: np.ndarray, gp: np.ndarray,
                        gp_access: np.ndarray, rate: float, p_raise: float
                        ) -> tuple[int, np.ndarray]:
    """``help_seeking.routine_consultations``' draws for residents ``in_need`` in one call:
    who consults today (:func:`consulting_today`, one float64 uniform of ``stream`` each, in
    order), then who of them raises a non-medical need (``u < p_raise``, one uniform each,
    after those). Returns the number consulting and those raising a need (in order)."""
    m = in_need.shape[0]
    r = np.empty(m)
    for j in range(m):
        r[j] = _double_from(stream)
    consulting = consulting_today(in_need, r, gp, gp_access, rate)
    return consulting.shape[0], chosen_today(stream, consulting, p_raise)


@njit(cache=True, nogil=True)
def chosen_today(stream: np.ndarray, rows: np.ndarray, p: float) -> np.ndarray:
    """``rows[rng.random(rows.size) < p]``: one float64 uniform of ``stream`` per row, in
    order."""
    out = np.empty(rows.shape[0], rows.dtype)
    k = 0
    for j in range(rows.shape[0]):
        if _double_from(stream) < p:
            out[k] = rows[j]
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def referred_back_today(stream: np.ndarray, away: np.ndarray, turned_away: np.ndarray,
                        need: np.ndarray, pathway: np.ndarray, moderate: int, none: int,
                        p: float) -> np.ndarray:
    """The residents a statutory service turned away whom it refers back today
    (``help_seeking.refer_back_turned_away``), in one pass over those flagged (``away``:
    ``flatnonzero(turned_away)``, in resident order): a flag whose need has ended is cleared;
    those in moderate or complex need (``need >= moderate``) with no pathway (``none``) are
    the eligible, each chosen with one float64 uniform of ``stream`` below ``p``, in order:
    the flags of ``away[need[away] == 0]`` cleared, then ``eligible[rng.random(eligible.size)
    < p]`` of ``eligible = away[(need[away] >= moderate) & (pathway[away] == none)]``."""
    out = np.empty(away.shape[0], np.int64)
    k = 0
    for j in range(away.shape[0]):
        i = away[j]
        level = need[i]
        if level == 0:
            turned_away[i] = False
        elif level >= moderate and pathway[i] == none and _double_from(stream) < p:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def give_up_today(stream: np.ndarray, pathway: np.ndarray, waiting: int, none: int, p: float,
                  from_gp: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """The residents waiting for a link worker (``pathway == waiting``): how many, those who
    give up today, each with one float64 uniform of ``stream`` below ``p`` in resident order
    (``chosen_today`` of ``codes_between(pathway, waiting, waiting)``), their pathway set to
    ``none``, and those of them a GP referred (``from_gp``). Nothing is drawn with nobody
    waiting."""
    rows = _between_and_at_most(pathway, waiting, waiting, pathway, _ANY)
    gone = np.empty(rows.shape[0], np.int64)
    k = n_gp = 0
    for j in range(rows.shape[0]):
        if _double_from(stream) < p:
            gone[k] = rows[j]
            k += 1
    told = np.empty(k, np.int64)
    for j in range(k):
        i = gone[j]
        pathway[i] = none
        if from_gp[i]:
            told[n_gp] = i
            n_gp += 1
    return rows.shape[0], gone[:k].copy(), told[:n_gp].copy()


CONSULT_DONE, CONSULT_REFER, CONSULT_OFFER = 0, 1, 2
"""What :func:`next_consultation_action` found: the end of the residents, a referral to a
link worker, a signposting to a tied group."""


@njit(cache=True, nogil=True)
def next_consultation_action(stream: np.ndarray, raised: np.ndarray, start: int,
                             pathway: np.ndarray, none: int, gp: np.ndarray,
                             engagement: np.ndarray, ties_start: np.ndarray,
                             ties: np.ndarray, p_signpost: float, visits: np.ndarray,
                             consulted: np.ndarray) -> tuple[int, int, int]:
    """``GPPractice.consult_nonmedical`` for ``raised[start:]`` in order, up to the first
    consultation that leads somewhere: a resident whose pathway is ``none`` when reached
    consults their practice ``gp[i]`` (``visits[gp[i]] += 1``, ``consulted[j] = True``); one
    float64 uniform of ``stream`` below the practice's ``engagement`` refers them to a link
    worker; otherwise, if the practice has open tied groups (``ties[ties_start[k]:
    ties_start[k + 1]]``), a second uniform below ``p_signpost`` signposts them to one drawn
    as ``pick_index`` draws (nothing drawn for a single tie). Returns (position in
    ``raised``, :data:`CONSULT_REFER` or :data:`CONSULT_OFFER`, the group; -1 for a
    referral), or (``raised.size``, :data:`CONSULT_DONE`, -1): the same draws in the same
    order as the calls one by one. The caller carries out the action and calls again from
    the next position; the pathways are read as they stand then."""
    for j in range(start, raised.shape[0]):
        i = raised[j]
        if pathway[i] != none:
            continue
        k = gp[i]
        visits[k] += 1
        consulted[j] = True
        action, g = _consultation_outcome(stream, engagement[k], ties_start[k],
                                          ties_start[k + 1], ties, p_signpost)
        if action != CONSULT_DONE:
            return j, action, g
    return raised.shape[0], CONSULT_DONE, -1


@njit(inline="always")
def _consultation_outcome(stream, engagement: float, first: int, stop: int,
                          ties: np.ndarray, p_signpost: float) -> tuple[int, int]:
    """One consultation raising a need with a resident whose pathway is none, at a practice
    of ``engagement`` and open tied groups ``ties[first:stop]``: one float64 uniform of
    ``stream`` below ``engagement`` refers to a link worker (:data:`CONSULT_REFER`, -1);
    otherwise, with tied groups, a second below ``p_signpost`` signposts to one drawn as
    ``pick_index`` draws, nothing for a single tie (:data:`CONSULT_OFFER` and the group);
    else (:data:`CONSULT_DONE`, -1)."""
    if _double_from(stream) < engagement:
        return CONSULT_REFER, -1
    n_ties = stop - first
    if n_ties > 0 and _double_from(stream) < p_signpost:
        pick = 0 if n_ties == 1 else _integer_below(stream, n_ties)
        return CONSULT_OFFER, ties[first + pick]
    return CONSULT_DONE, -1


# -- the seekers' day in one call (help_seeking.route_in_turn) ---------------------------------

ROUTE_FLOWS = (
    "new_referrals_gp", "new_referrals_self", "new_referrals_vcse", "new_referrals_signposting",
    "new_lw_referrals", "new_vcse_to_health_referrals", "new_informal_help",
    "new_first_support", "sum_days_to_first_support", "new_vol_first_tasks",
    "sum_vol_days_to_first_task", "new_group_referrals", "new_health_to_vcse_referrals",
    "new_referrals_result_stale", "new_referrals_result_accepted",
    "new_referrals_result_declined", "new_referrals_declined_full", "new_mutual_aid_support",
    "new_mutual_aid_support_from_health", "new_sent_on_to_gp", "new_signposted_intermediary",
    "new_signposted_locality_officer", "new_signposted_parish_council", "new_signposted_hub")
"""The integer flows :func:`route_seekers` counts, in the order of its ``counts``. A ``sum_``
flow is counted whenever the flow before it is (``count`` adds a sum even of 0)."""
HUB_KINDS = ("intermediary", "locality_officer", "parish_council", "hub")
"""Intermediaries' ``kind_name`` in the order of their ``new_signposted_`` flows above."""
(_R_GP, _R_SELF, _R_VCSE, _R_SIGNPOSTING, _R_LW, _R_V2H, _R_INFORMAL, _R_FIRST, _R_FIRST_DAYS,
 _R_VFIRST, _R_VFIRST_DAYS, _R_GROUP_REF, _R_H2V, _R_STALE, _R_ACCEPTED, _R_DECLINED, _R_FULL,
 _R_MA, _R_MA_HEALTH, _R_SENT, _R_SIGNPOSTED) = range(21)
_SRC_GP, _SRC_SELF, _SRC_VCSE, _SRC_SIGNPOSTING = 0, 1, 2, 3  # referral sources: _R_GP + source
_OFFER_ACCEPTED, _OFFER_DECLINED, _OFFER_NOT_REACHED, _OFFER_STALE, _OFFER_DISRUPT = range(5)
SEEK_DONE, SEEK_DISRUPT = 0, 1
"""What :func:`route_seekers` stopped at: the end of the seekers, or an offer accepted by a
group without inclusion capacity from a client with complex need (the disruption and the rest
of the route are Python's)."""
_OUT_ENTRIES, _OUT_NOTES, _OUT_JOINT, _OUT_TIES, _OUT_ADVISED, _OUT_TOUCHED = range(6)
_OUT_GP_REFERRALS = 6  # a GP's referral made: the practices' counts to carry out


@njit(inline="always")
def _route_refer(i, src, day, gp, lw_start, lw_flat, lw_co_located, pathway, waiting,
                 lw_referrals, turned_away, lw_referred_day, lw_warm, lw_from_gp, entries, n_out,
                 counts, gp_referrals):
    """``CommunityModel.refer_to_link_worker(i, source)``: False if no link worker serves the
    resident's practice (``lws[i % len(lws)]`` of ``lw_flat[lw_start[k]:lw_start[k+1]]``,
    positions in ``model.link_workers``); the inbox entry (worker, resident, referral number,
    source) goes to ``entries`` for the caller to append in order."""
    k = gp[i]
    a = lw_start[k]
    n = lw_start[k + 1] - a
    if n == 0:
        return False
    at = a + i % n
    if pathway[i] == waiting:
        return True
    from_gp = src == _SRC_GP
    pathway[i] = waiting
    lw_referrals[i] += 1
    turned_away[i] = False
    lw_referred_day[i] = day
    lw_warm[i] = from_gp and lw_co_located[at]
    lw_from_gp[i] = from_gp
    e = n_out[_OUT_ENTRIES]
    entries[e, 0] = lw_flat[at]
    entries[e, 1] = i
    entries[e, 2] = lw_referrals[i]
    entries[e, 3] = src
    n_out[_OUT_ENTRIES] = e + 1
    counts[_R_GP + src] += 1
    counts[_R_LW] += 1
    if from_gp:
        gp_referrals[k] += 1
        n_out[_OUT_GP_REFERRALS] = 1
    if src == _SRC_VCSE:
        counts[_R_V2H] += 1
    return True


@njit(inline="always")
def _route_start_support(i, code, days, day, pathway, until, first_support, ever_supported,
                         need_onset, counts):
    """``CommunityModel.start_support(i, code, days)``."""
    pathway[i] = code
    until[i] = day + days
    if first_support[i] < 0:
        first_support[i] = day
        ever_supported[i] = True
        counts[_R_FIRST] += 1
        counts[_R_FIRST_DAYS] += day - need_onset[i]


@njit(inline="always")
def _route_offer(i, g, from_health, groups_stream, need, complex_need, gp, rural, gp_access,
                 unit_key, accepts_complex, p_accept_complex, turned_away_today, touched,
                 n_out, counts, room_args):
    """The head of ``CommunityModel.offer_to_group(i, g, source)`` and ``VCSEGroup.offer``:
    the referral counted, a closed group stale, a rural resident's reach of a place-level
    group (one float64 uniform of ``groups_stream`` below their practice's access), room
    (:func:`_has_room_at`), a complex need at a group without inclusion capacity accepted
    with one uniform below ``p_accept_complex`` (:data:`_OFFER_DISRUPT`: the rest is
    Python's), otherwise a place taken. Returns (the result, whether a health referral found
    the group full). Online groups are the caller's to rule out."""
    counts[_R_GROUP_REF] += 1
    if from_health:
        counts[_R_H2V] += 1
    clients, is_open = room_args[0], room_args[1]
    if not is_open[g]:
        if from_health:
            counts[_R_STALE] += 1
        return _OFFER_STALE, False
    room = _has_room_at(g, room_args)
    full = from_health and not room
    if unit_key[g] < 0 and rural[i]:  # CommunityModel._attends: a place-level group
        access = gp_access[gp[i]]
        if not (access >= 1.0 or _double_from(groups_stream) < access):
            return _OFFER_NOT_REACHED, full
    if not room:
        turned_away_today[g] += 1
        return _OFFER_DECLINED, full
    if need[i] >= complex_need and not accepts_complex[g]:
        if _double_from(groups_stream) >= p_accept_complex:
            return _OFFER_DECLINED, full
        return _OFFER_DISRUPT, full
    clients[g] += 1
    e = n_out[_OUT_TOUCHED]
    touched[e] = g
    n_out[_OUT_TOUCHED] = e + 1
    return _OFFER_ACCEPTED, full


@njit(inline="always")
def _route_after_offer(i, g, result, from_health, full, kind_code, mutual_aid, gp, provider,
                       matched, support_days, group_code, day, pathway, until, first_support,
                       ever_supported, need_onset, notes, joint, n_out, counts):
    """The rest of ``CommunityModel.offer_to_group`` for a result other than the disruption:
    a health referral's result counted (not reached as declined), and an accepted client
    supported (the joint case of a health referral, the provider, the group's client note and
    group support)."""
    if from_health:
        counts[_R_ACCEPTED if result == _OFFER_ACCEPTED else _R_DECLINED] += 1
        if full and result == _OFFER_DECLINED:
            counts[_R_FULL] += 1
    if result != _OFFER_ACCEPTED:
        return
    if kind_code[g] == mutual_aid:
        counts[_R_MA] += 1
        if from_health:
            counts[_R_MA_HEALTH] += 1
    if from_health:
        e = n_out[_OUT_JOINT]
        joint[e, 0] = gp[i]
        joint[e, 1] = g
        n_out[_OUT_JOINT] = e + 1
    provider[i] = g
    e = n_out[_OUT_NOTES]
    notes[e, 0] = g
    notes[e, 1] = i
    n_out[_OUT_NOTES] = e + 1
    matched[i] = True
    _route_start_support(i, group_code, np.int64(support_days[g]), day, pathway, until,
                         first_support, ever_supported, need_onset, counts)


@njit(inline="always")
def _route_advised(i, advised, added, n_added):
    """Whether resident ``i`` is in ``model.gp_advised`` (``advised``, sorted) or was added
    to it in this pass (``added[:n_added]``)."""
    k = np.searchsorted(advised, i)
    if k < advised.shape[0] and advised[k] == i:
        return True
    for t in range(n_added):
        if added[t] == i:
            return True
    return False


@njit(cache=True, nogil=True)
def route_seekers(streams, seekers, choice, start, people, volunteers, practices, routes,
                  groups, room_args, reach, hubs, out, counts, hours, settings, day):
    """``help_seeking.route_in_turn`` for ``seekers[start:]`` (channels ``choice``), one
    seeker after another, in one call: a seeker whose pathway is past waiting when reached is
    passed over; the GP consulted (channel 0: :func:`next_consultation_action`'s
    consultation, a referral to a link worker or an offer from the practice's tied group), a
    self-referral
    (1), ties asked (2: :func:`ties_with_time`, one float64 uniform below ``1 - (1 -
    p_help) ** helpers``, the helper drawn as ``pick_index`` draws, its task and informal
    support), a group approached (3: drawn by the running weights of the unit's reach, an
    offer, a declined listed group's onward referral) or the unit's intermediaries in turn
    (4: signposting, ``Intermediary.signpost`` and ``LocalityOfficer.signpost``). Draws come
    from the streams' handles (``streams``: gp, help_seeking, intermediaries, groups) as the
    Python routes draw them. Stops at the first offer that a group without inclusion capacity
    accepts from a client with complex need: returns (position, :data:`SEEK_DISRUPT`, the
    group, the channel's route: 0 GP, 3 a group approached, 4 + the intermediary's position)
    for Python to carry out the disruption and the route's end; else (``seekers.size``,
    :data:`SEEK_DONE`, -1, -1). What Python must carry out at each stop is in ``out`` (inbox
    entries, client notes, joint cases, ties used, residents advised to see their GP, groups
    that took a client, with their numbers and whether a GP referred in ``out[6]``; then the
    residents already advised, sorted), ``counts`` (:data:`ROUTE_FLOWS`) and ``hours`` (the
    day's ``new_vol_hours`` and ``new_lo_hours_signposting`` so far, and whether each was
    added to)."""
    gp_stream, help_stream, hub_stream, groups_stream = streams
    (pathway, need, gp, unit, rural, self_referred, lw_referrals, turned_away,
     lw_referred_day, lw_warm, lw_from_gp, until, first_support, ever_supported, need_onset,
     provider, matched) = people
    (indptr, indices, vstate, offer, used, last_task, applied_day, goodwill) = volunteers
    (engagement, ties_start, ties, visits, consulted, gp_access, gp_referrals) = practices
    lw_start, lw_flat, lw_co_located = routes
    unit_key, on_directory, accepts_complex, support_days, turned_away_today, kind_code = groups
    (unit_slot, reach_start, reach_groups, reach_cum, own_start, own_groups, hub_start,
     hub_list) = reach
    (hub_kind, hub_health_tie, hub_place_groups, hub_is_officer, hub_capacity,
     hub_signposted, hub_hours) = hubs
    entries, notes, joint, ties_used, advised_added, touched, n_out, advised = out
    (none, waiting, informal_code, group_code, complex_need, trained_a, trained_b, mutual_aid,
     informal_days) = settings[0]
    (p_signpost, p_help, p_accept_complex, p_onward, p_to_lw, p_sent_on, lo_hours) = settings[1]
    task_hours, gain = settings[2]
    with_room = np.empty(max(reach_groups.shape[0], own_groups.shape[0]), np.int64)
    for j in range(start, seekers.shape[0]):
        i = seekers[j]
        if pathway[i] > waiting:
            continue
        c = choice[j]
        if c == 0:  # the GP
            k = gp[i]
            visits[k] += 1
            consulted[j] = True
            if pathway[i] != none:
                continue
            action, g = _consultation_outcome(gp_stream, engagement[k], ties_start[k],
                                              ties_start[k + 1], ties, p_signpost)
            if action == CONSULT_REFER:
                _route_refer(i, _SRC_GP, day, gp, lw_start, lw_flat, lw_co_located, pathway,
                             waiting, lw_referrals, turned_away, lw_referred_day, lw_warm,
                             lw_from_gp, entries, n_out, counts, gp_referrals)
            elif action == CONSULT_OFFER:
                e = n_out[_OUT_TIES]
                ties_used[e, 0] = k
                ties_used[e, 1] = g
                n_out[_OUT_TIES] = e + 1
                result, full = _route_offer(i, g, True, groups_stream, need, complex_need, gp,
                                            rural, gp_access, unit_key, accepts_complex,
                                            p_accept_complex, turned_away_today, touched,
                                            n_out, counts, room_args)
                if result == _OFFER_DISRUPT:
                    return j, SEEK_DISRUPT, g, 0
                if result != _OFFER_STALE:
                    _route_after_offer(i, g, result, True, full, kind_code, mutual_aid, gp,
                                       provider, matched, support_days, group_code, day,
                                       pathway, until, first_support, ever_supported,
                                       need_onset, notes, joint, n_out, counts)
            continue
        if c == 1:  # a self-referral
            self_referred[i] = True
            _route_refer(i, _SRC_SELF, day, gp, lw_start, lw_flat, lw_co_located, pathway,
                         waiting, lw_referrals, turned_away, lw_referred_day, lw_warm,
                         lw_from_gp, entries, n_out, counts, gp_referrals)
            continue
        if c == 2:  # ties asked
            helpers = ties_with_time(i, indptr, indices, vstate, offer, used, trained_a,
                                     trained_b, task_hours)
            n_helpers = helpers.shape[0]
            if n_helpers == 0:
                continue
            p = 1.0 - math.pow(1.0 - p_help, float(n_helpers))  # Python's float ** int
            if _double_from(help_stream) >= p:
                continue
            h = helpers[0 if n_helpers == 1 else _integer_below(help_stream, n_helpers)]
            used[h] = used[h] + task_hours  # CommunityModel.volunteer_tasks, one helper
            hours[0] += np.float64(task_hours)
            hours[1] = 1.0
            last_task[h] = day
            since = applied_day[h]
            if since >= 0:
                counts[_R_VFIRST] += 1
                counts[_R_VFIRST_DAYS] += day - since
                applied_day[h] = -1
            gw = goodwill[h] + gain
            goodwill[h] = gw if gw <= np.float32(2.0) else np.float32(2.0)
            vstate[h] = trained_a  # trained: active
            _route_start_support(i, informal_code, informal_days, day, pathway, until,
                                 first_support, ever_supported, need_onset, counts)
            counts[_R_INFORMAL] += 1
            continue
        slot = unit_slot[unit[i]]
        if c == 3:  # a group approached (help_seeking.approach_group)
            a, b = reach_start[slot], reach_start[slot + 1]
            if a == b:
                continue
            x = _double_from(help_stream) * reach_cum[b - 1]
            pick = a
            while pick < b and not reach_cum[pick] > x:  # bisect_right
                pick += 1
            g = reach_groups[pick]
            result, full = _route_offer(i, g, False, groups_stream, need, complex_need, gp,
                                        rural, gp_access, unit_key, accepts_complex,
                                        p_accept_complex, turned_away_today, touched, n_out,
                                        counts, room_args)
            if result == _OFFER_DISRUPT:
                return j, SEEK_DISRUPT, g, 3
            if result != _OFFER_STALE:
                _route_after_offer(i, g, result, False, full, kind_code, mutual_aid, gp,
                                   provider, matched, support_days, group_code, day, pathway,
                                   until, first_support, ever_supported, need_onset, notes,
                                   joint, n_out, counts)
            if (result == _OFFER_DECLINED and on_directory[g]
                    and lw_start[gp[i] + 1] > lw_start[gp[i]]
                    and _double_from(help_stream) < p_onward):
                _route_refer(i, _SRC_VCSE, day, gp, lw_start, lw_flat, lw_co_located,
                             pathway, waiting, lw_referrals, turned_away, lw_referred_day,
                             lw_warm, lw_from_gp, entries, n_out, counts, gp_referrals)
            continue
        # c == 4: the unit's intermediaries in turn, until one signposts
        for t in range(hub_start[slot], hub_start[slot + 1]):
            hub = hub_list[t]
            if hub_capacity[hub] <= 0:
                continue
            hub_capacity[hub] -= 1
            hub_signposted[hub] += 1
            counts[_R_SIGNPOSTED + hub_kind[hub]] += 1
            has_lw = lw_start[gp[i] + 1] > lw_start[gp[i]]
            if has_lw and hub_health_tie[hub] and _double_from(hub_stream) < p_to_lw:
                _route_refer(i, _SRC_SIGNPOSTING, day, gp, lw_start, lw_flat, lw_co_located,
                             pathway, waiting, lw_referrals, turned_away, lw_referred_day,
                             lw_warm, lw_from_gp, entries, n_out, counts, gp_referrals)
            else:
                if hub_place_groups[hub]:
                    a, b, pool = reach_start[slot], reach_start[slot + 1], reach_groups
                else:
                    a, b, pool = own_start[slot], own_start[slot + 1], own_groups
                n_room = 0  # the groups with room (Intermediary.groups_in_reach), in order
                for q in range(a, b):
                    if _has_room_at(pool[q], room_args):
                        with_room[n_room] = pool[q]
                        n_room += 1
                placed = False
                if n_room:
                    pick = 0 if n_room == 1 else _integer_below(hub_stream, n_room)
                    g = with_room[pick]
                    result, full = _route_offer(i, g, False, groups_stream, need,
                                                complex_need, gp, rural, gp_access,
                                                unit_key, accepts_complex, p_accept_complex,
                                                turned_away_today, touched, n_out, counts,
                                                room_args)
                    if result == _OFFER_DISRUPT:
                        return j, SEEK_DISRUPT, g, 4 + hub
                    if result != _OFFER_STALE:
                        _route_after_offer(i, g, result, False, full, kind_code, mutual_aid,
                                           gp, provider, matched, support_days, group_code,
                                           day, pathway, until, first_support,
                                           ever_supported, need_onset, notes, joint, n_out,
                                           counts)
                    placed = result == _OFFER_ACCEPTED
                if not placed and not hub_health_tie[hub] and p_sent_on > 0.0 and (
                        pathway[i] == none):  # Intermediary.send_on_to_gp
                    n_added = n_out[_OUT_ADVISED]
                    if not _route_advised(i, advised, advised_added, n_added):
                        if _double_from(hub_stream) < p_sent_on:
                            advised_added[n_added] = i
                            n_out[_OUT_ADVISED] = n_added + 1
                            counts[_R_SENT] += 1
            if hub_is_officer[hub]:
                hub_hours[hub] -= lo_hours
                hours[2] += lo_hours
                hours[3] = 1.0
            break
    return seekers.shape[0], SEEK_DONE, -1, -1


@njit(cache=True, nogil=True)
def consulting_today(in_need: np.ndarray, r: np.ndarray, gp: np.ndarray,
                     gp_access: np.ndarray, rate: float) -> np.ndarray:
    """Those of ``in_need`` who consult today: ``in_need[r < np.minimum(rate *
    gp_access[gp[in_need]], 1.0)]`` (float64) in one pass."""
    m = in_need.shape[0]
    out = np.empty(m, np.int64)
    k = 0
    for j in range(m):
        i = in_need[j]
        if r[j] < min(rate * gp_access[gp[i]], 1.0):
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def support_due(pathway: np.ndarray, until: np.ndarray, first: int, day: int) -> np.ndarray:
    """``np.flatnonzero((pathway >= first) & (until <= day))`` in one pass (support that
    ends today: a few residents a day)."""
    n = pathway.shape[0]
    out = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        if pathway[i] >= first and until[i] <= day:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def book_management_hours(rows: np.ndarray, vorg: np.ndarray, vstate: np.ndarray,
                          vsince: np.ndarray, vpassported: np.ndarray, vtrained_at: np.ndarray,
                          vmoved_day: np.ndarray, vwork_hours: np.ndarray,
                          contact_rows: np.ndarray, training_days: np.ndarray,
                          accepts: np.ndarray, per_application: np.ndarray, hours: np.ndarray,
                          contact_trained: float, contact_waiting: float, day: int,
                          onboarding: int, applied: int, passport_days: int,
                          passport_induction_hours: float, induction_hours: float,
                          passport_check_hours: float):
    """The bookings of ``volunteering.manage_volunteers`` (steps 1-4) in one call: ``hours``
    (float64 per organisation) is reduced in place by
    keeping in touch with trained volunteers (``contact_rows`` row 0, ``contact_trained``
    hours a day each), whole inductions (``inductions_due`` of the ``onboarding``), keeping
    in touch with the waiting (row 1, less those inducted), the first unfinished induction's
    partial work (``continue_first_unfinished``) and applications
    (``applications_due`` of the ``applied``); the hours booked on an induction or an
    application that is not done yet stay with the volunteer (``vwork_hours``, updated in
    place; 0 once done). Nothing else changes: the caller activates the inducted and starts
    the training of the processed. ``rows``: ascending
    residents that include every volunteer in a state it counts (all registered volunteers:
    the columns are read there only, not over the whole population). Returns the contact hours
    needed and used, trained and waiting, and their covers (``used / needed``, 1 where none
    is needed); the inductions (volunteers, done mask, hours booked per organisation); the
    applications (volunteers, passport mask, done mask, hours booked per organisation); the
    duplicated checks (count, and their costs in queue order) and the retrained count."""
    n_org = hours.shape[0]
    states = vstate[rows]
    contacted = count_by_org(vorg, vstate, contact_rows, 2, n_org, rows)
    need_t = contacted[0] * contact_trained
    used_t = np.empty(n_org)
    for o in range(n_org):
        used_t[o] = need_t[o] if need_t[o] <= hours[o] else hours[o]
        hours[o] -= used_t[o]
    onb, org_i, done_i, booked_i, cost_i = inductions_due(
        rows[states == onboarding], vorg, vsince, vpassported, training_days, day,
        passport_days, passport_induction_hours, induction_hours, hours, vwork_hours)
    waiting = contacted[1].copy()
    for j in range(onb.shape[0]):
        if done_i[j]:
            waiting[org_i[j]] -= 1
    need_w = waiting * contact_waiting
    used_w = np.empty(n_org)
    for o in range(n_org):
        used_w[o] = need_w[o] if need_w[o] <= hours[o] else hours[o]
        hours[o] -= used_w[o]
    # an induction that did not fit whole gets what keeping in touch left (partial work)
    booked_i += continue_first_unfinished(onb, org_i, cost_i, done_i, hours, vwork_hours)
    app, org_a, passport, cost, done_a, booked_a = applications_due(
        rows[states == applied], vorg, vsince, vtrained_at, accepts, per_application,
        passport_check_hours, hours, vwork_hours)
    n_dup = 0
    n_retrained = 0
    dup_cost = np.empty(app.shape[0])
    for j in range(app.shape[0]):
        if done_a[j] and not passport[j]:
            i = app[j]
            held = vtrained_at[i]
            if held >= 0 and held != org_a[j]:
                dup_cost[n_dup] = cost[j]
                n_dup += 1
            if vmoved_day[i] >= 0 and training_days[org_a[j]] > 0:
                n_retrained += 1
    cover_t = np.ones(n_org)
    cover_w = np.ones(n_org)
    for o in range(n_org):
        if need_t[o] > 0:
            cover_t[o] = used_t[o] / need_t[o]
        if need_w[o] > 0:
            cover_w[o] = used_w[o] / need_w[o]
    return (need_t, used_t, need_w, used_w, cover_t, cover_w, onb, done_i, booked_i, app,
            passport, done_a, booked_a, n_dup, dup_cost[:n_dup].copy(), n_retrained)


@njit(cache=True, nogil=True)
def activate_volunteer(i: int, vorg: np.ndarray, vstate: np.ndarray, vsince: np.ndarray,
                       vlast_task: np.ndarray, vtrained_at: np.ndarray,
                       vpassported: np.ndarray, vwork_hours: np.ndarray,
                       vmoved_day: np.ndarray, active: int, day: int) -> int:
    """Volunteer ``i`` is active at its organisation from today (trained there; a move
    between organisations is over): returns the days its move took, or -1 if it had not
    moved. (An induction done, training not needed, a placement with a group without
    training: ``volunteering.move_volunteer``.)"""
    vstate[i] = active
    vsince[i] = day
    vlast_task[i] = day
    vtrained_at[i] = vorg[i]
    vpassported[i] = False
    vwork_hours[i] = 0.0
    moved = vmoved_day[i]
    if moved < 0:
        return -1
    vmoved_day[i] = -1
    return day - moved


@njit(cache=True, nogil=True)
def manage_volunteers_day(rows: np.ndarray, vorg: np.ndarray, vstate: np.ndarray,
                          vsince: np.ndarray, vpassported: np.ndarray, vtrained_at: np.ndarray,
                          vmoved_day: np.ndarray, vwork_hours: np.ndarray,
                          vlast_task: np.ndarray, contact_rows: np.ndarray,
                          training_days: np.ndarray, accepts: np.ndarray,
                          per_application: np.ndarray, new_hours: np.ndarray,
                          open_rows: np.ndarray, hours_left: np.ndarray,
                          cover_trained: np.ndarray, cover_waiting: np.ndarray,
                          contact_trained: float, contact_waiting: float, day: int,
                          onboarding: int, applied: int, active: int, passport_days: int,
                          passport_induction_hours: float, induction_hours: float,
                          passport_check_hours: float):
    """``volunteering.manage_volunteers`` in one call: each organisation's hours today (what
    is left of this week's, ``hours_left``, for the ``open_rows``, plus ``new_hours``) booked
    by :func:`book_management_hours`; the inducted become active and the processed start
    their training (active at once where their organisation has none and they hold no
    passport); the hours left and the contact covers written to their columns
    (``hours_left``, ``cover_trained``, ``cover_waiting``: the first ``new_hours.size``
    rows). Returns, for the day's flows: the hours used by organisation, the contact hours
    needed and used (trained, waiting), the hours booked on inductions and on applications
    by organisation, the duplicated checks' costs, and the counts of the inducted, the
    processed, the duplicated checks, the retrained, and the redeployed with their days to
    redeploy."""
    n_org = new_hours.shape[0]
    hours = np.zeros(n_org)
    for k in range(open_rows.shape[0]):
        o = open_rows[k]
        hours[o] = hours_left[o]
    for o in range(n_org):
        hours[o] += new_hours[o]
    start = hours.copy()
    (need_t, used_t, need_w, used_w, cover_t, cover_w, onb, done_i, booked_i, app, passport,
     done_a, booked_a, n_dup, dup_cost, n_retrained) = book_management_hours(
        rows, vorg, vstate, vsince, vpassported, vtrained_at, vmoved_day, vwork_hours,
        contact_rows, training_days, accepts, per_application, hours, contact_trained,
        contact_waiting, day, onboarding, applied, passport_days, passport_induction_hours,
        induction_hours, passport_check_hours)
    n_moved = 0
    days_moved = 0
    n_inducted = 0
    for j in range(onb.shape[0]):
        if done_i[j]:
            n_inducted += 1
            took = activate_volunteer(onb[j], vorg, vstate, vsince, vlast_task, vtrained_at,
                                      vpassported, vwork_hours, vmoved_day, active, day)
            if took >= 0:
                n_moved += 1
                days_moved += took
    n_processed = 0
    for j in range(app.shape[0]):
        if done_a[j]:  # training starts: onboarding, or active at once without any
            i = app[j]
            n_processed += 1
            vstate[i] = onboarding
            vsince[i] = day
            vpassported[i] = passport[j]
            vwork_hours[i] = 0.0
            if not passport[j] and training_days[vorg[i]] == 0:
                took = activate_volunteer(i, vorg, vstate, vsince, vlast_task, vtrained_at,
                                          vpassported, vwork_hours, vmoved_day, active, day)
                if took >= 0:
                    n_moved += 1
                    days_moved += took
    used = np.empty(n_org)
    for o in range(n_org):
        hours_left[o] = hours[o]
        cover_trained[o] = cover_t[o]
        cover_waiting[o] = cover_w[o]
        used[o] = start[o] - hours[o]
    return (used, need_t, used_t, need_w, used_w, booked_i, booked_a, dup_cost, n_inducted,
            n_processed, n_dup, n_retrained, n_moved, days_moved)


@njit(cache=True, nogil=True)
def allocate_tasks_day(stream: np.ndarray, rows: np.ndarray, vorg: np.ndarray,
                       vstate: np.ndarray, hospital: np.ndarray, offer: np.ndarray,
                       used: np.ndarray, last_task: np.ndarray, applied_day: np.ndarray,
                       goodwill: np.ndarray, expected: np.ndarray, hospital_hours: np.float32,
                       group_hours: np.float32, day: int, gain: np.float32, idle_after: int,
                       active: int, idle: int):
    """``volunteering.allocate_tasks`` in one call: if any of ``rows`` is trained (active
    or idle), each organisation's tasks today, ``floor(expected + u)`` (one float64 uniform
    of ``stream``, a :func:`stream_handle`, per organisation in order), handed out by
    :func:`hand_out_tasks` (one uniform per trained volunteer, in order, after those) and
    done (:func:`tasks_done`); with nobody trained nothing is drawn or done. Returns the
    number trained, the task hours of those who worked (float32, in order: the day's hours
    are their float64 sum), and the counts of tasks done, first tasks, their days since
    applying, hospital tasks and tasks nobody staffed."""
    trained = rows_with_codes_between(rows, vstate, active, idle)
    m = trained.shape[0]
    if m == 0:
        return 0, np.empty(0, np.float32), 0, 0, 0, 0, 0
    n_org = expected.shape[0]
    tasks = np.empty(n_org, np.int64)
    for o in range(n_org):
        tasks[o] = np.int64(np.floor(expected[o] + _double_from(stream)))
    draw = np.empty(m)
    for j in range(m):
        draw[j] = _double_from(stream)
    worked, hours, staffed = hand_out_tasks(trained, vorg, hospital, offer, used, draw, tasks,
                                            hospital_hours, group_hours)
    n_first, days_first, n_hospital = tasks_done(worked, hours, trained, used, last_task,
                                                 applied_day, goodwill, vstate, hospital, day,
                                                 gain, idle_after, active, idle)
    unstaffed = 0
    for o in range(n_org):
        if tasks[o] > staffed[o]:
            unstaffed += tasks[o] - staffed[o]
    return m, hours, worked.shape[0], n_first, days_first, n_hospital, unstaffed


@njit(cache=True, nogil=True)
def goodwill_day(stream: np.ndarray, rows: np.ndarray, vstate: np.ndarray, vorg: np.ndarray,
                 goodwill: np.ndarray, cover_waiting: np.ndarray, cover_idle: np.ndarray,
                 gap: float, decay_waiting: float, decay_idle: float, p_attrition: float,
                 rejoin_at_once: bool, p_rejoin: float, vsince: np.ndarray,
                 vapplied_day: np.ndarray, vmoved_day: np.ndarray, vpassported: np.ndarray,
                 vwork_hours: np.ndarray, hospital: np.ndarray, applied: int, onboarding: int,
                 idle: int, stood_down: int, active: int, lapsed: int, latent: int, day: int):
    """``volunteering.goodwill_and_dropout`` in one call: goodwill lost
    (:func:`lose_goodwill`), the active leave at ``p_attrition`` a day (one float64 uniform
    of ``stream`` per active volunteer, in order), those whose goodwill ran out and those
    who left lapse (:func:`lapse`), and lapsed volunteers become willing again (latent, no
    organisation, full goodwill): at once (``rejoin_at_once``), else each lapsed one of
    ``rows`` at ``p_rejoin`` a day (one uniform each, after those). Returns the float32 losses
    of the waiting and of the idle (for their float64 sums) and the counts of the waiting and
    the idle whose goodwill ran out and of the active who left."""
    loss_w, loss_i, gone_w, gone_i, act = lose_goodwill(
        rows, vstate, vorg, goodwill, cover_waiting, cover_idle, gap, decay_waiting,
        decay_idle, applied, onboarding, idle, stood_down, active)
    left = chosen_today(stream, act, p_attrition)
    for idx in (gone_w, gone_i, left):
        lapse(idx, vstate, vsince, vapplied_day, vmoved_day, vpassported, vwork_hours, lapsed,
              day)
    if rejoin_at_once:
        for idx in (gone_w, gone_i, left):
            for i in idx:
                _rejoin(i, vstate, vorg, hospital, goodwill, latent)
    else:  # willing again after a while
        for i in rows_with_codes_between(rows, vstate, lapsed, lapsed):
            if _double_from(stream) < p_rejoin:
                _rejoin(i, vstate, vorg, hospital, goodwill, latent)
    return loss_w, loss_i, gone_w.shape[0], gone_i.shape[0], left.shape[0]


@njit(inline="always")
def _rejoin(i: int, vstate: np.ndarray, vorg: np.ndarray, hospital: np.ndarray,
            goodwill: np.ndarray, latent: int) -> None:
    """Lapsed volunteer ``i`` is willing again: latent, no organisation, full goodwill."""
    vstate[i] = latent
    vorg[i] = -1
    hospital[i] = False
    goodwill[i] = 1.0


@njit(cache=True, nogil=True)
def codes_between(codes: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``np.flatnonzero((codes >= lo) & (codes <= hi))`` in one pass (e.g. the volunteers
    past latent: a few per cent of the residents; one-byte codes eight at a time,
    :func:`_between_and_at_most`)."""
    return _between_and_at_most(codes, lo, hi, codes, _ANY)


@njit(cache=True, nogil=True)
def rows_with_codes_between(rows: np.ndarray, codes: np.ndarray, lo: int, hi: int
                            ) -> np.ndarray:
    """``rows[(codes[rows] >= lo) & (codes[rows] <= hi)]`` in one pass (the same dtype and
    order as ``rows``): e.g. the trained volunteers among those past latent, without a
    gather, two comparisons, a mask and a selection in numpy."""
    out = np.empty_like(rows)
    k = 0
    for j in range(rows.shape[0]):
        c = codes[rows[j]]
        if c >= lo and c <= hi:
            out[k] = rows[j]
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def members_among(rows: np.ndarray, vorg: np.ndarray, org: int, vstate: np.ndarray, lo: int,
                  hi: int) -> np.ndarray:
    """``rows[(vorg[rows] == org) & (vstate[rows] >= lo) & (vstate[rows] <= hi)]`` in one
    pass (the same dtype and order as ``rows``): an organisation's volunteers in states
    ``lo`` to ``hi`` among ``rows``, without two gathers, three comparisons, a mask and a
    selection in numpy."""
    out = np.empty_like(rows)
    k = 0
    for j in range(rows.shape[0]):
        i = rows[j]
        c = vstate[i]
        if vorg[i] == org and c >= lo and c <= hi:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def burnout_and_free_hours(stream: np.ndarray, rows: np.ndarray, vstate: np.ndarray,
                           vorg: np.ndarray, vsince: np.ndarray, open_rows: np.ndarray,
                           strain: np.ndarray, rate: float, offer: np.ndarray,
                           committed: np.ndarray, held: np.ndarray, day: int, active: int,
                           idle: int, lapsed: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """``strain.step``'s volunteer pass in one call. Burnout: each trained (``active`` to
    ``idle``) volunteer of ``rows`` whose organisation (one of ``open_rows`` with a
    ``strain`` above 0) has a chance ``min(strain * rate, 1)`` lapses when its float64
    uniform of ``stream`` (one per such volunteer, in order) is below it; nothing is drawn
    when no open organisation is strained or ``rate`` is not above 0. Then each
    organisation's trained volunteers and their free weekly hours (:func:`free_hours_by_org`
    over ``rows``), written to ``held`` (one entry per organisation) where they changed.
    Returns (-1 if no open organisation is strained or ``rate`` is not above 0, else the
    number of trained volunteers who could burn out; those who did; the trained counts by
    organisation; the organisations whose hours changed)."""
    n_org = held.shape[0]
    p_org = np.zeros(n_org)
    strained = False
    if rate > 0:
        for k in range(open_rows.shape[0]):
            o = open_rows[k]
            if strain[o] > 0:
                strained = True
                p = strain[o] * rate
                p_org[o] = p if p < 1.0 else 1.0
    could = -1
    gone = 0
    if strained:
        trained, chance = rows_with_chance(rows, vstate, active, idle, vorg, p_org)
        could = trained.shape[0]
        for j in range(could):
            if _double_from(stream) < chance[j]:
                i = trained[j]
                vstate[i] = lapsed
                vsince[i] = day
                gone += 1
    hours, counts = free_hours_by_org(rows, False, vstate, vorg, offer, committed, active,
                                      idle, n_org)
    changed = np.empty(n_org, np.int64)
    k = 0
    for o in range(n_org):
        if held[o] != hours[o]:
            held[o] = hours[o]
            changed[k] = o
            k += 1
    return could, gone, counts, changed[:k].copy()


@njit(cache=True, nogil=True)
def strain_day_start(rows: np.ndarray, unserved: np.ndarray, turned_away: np.ndarray,
                     strain: np.ndarray, distanced: np.ndarray, clients: np.ndarray,
                     staff: np.ndarray, extra_places: np.ndarray, volunteer_hours: np.ndarray,
                     disruption: np.ndarray, n_staff_changes: np.ndarray,
                     staff_capacity: np.ndarray, usual_staff: np.ndarray,
                     volunteer_share: np.ndarray, support_days: np.ndarray, per_client: float,
                     loss: float, memory_days: float, exit_per_strain_year: float, day: int,
                     review_days: int) -> tuple[np.ndarray, int, np.ndarray]:
    """``strain.step`` up to the staff pass in one call, for the running groups ``rows``: their
    places (:func:`group_places`), then strain and the staff it drives out
    (:func:`update_strain`, which lowers ``staff`` in place), then the positions of those with
    staff work today (:func:`staff_work_due`). The groups' parameters (``staff_capacity``,
    ``usual_staff``, ``volunteer_share``, ``support_days``) are columns by organisation
    index (``group_state.params_by_index``). Returns (staff each loses, the referrals turned
    away today in all, the positions with staff work)."""
    places = group_places(rows, staff, extra_places, volunteer_hours, disruption, distanced,
                          staff_capacity[rows], usual_staff[rows], volunteer_share[rows],
                          per_client, loss)[0]
    lost, turned_away_in_all = update_strain(
        rows, unserved, turned_away, strain, support_days[rows], distanced, places, clients,
        staff, memory_days, exit_per_strain_year)
    due = staff_work_due(rows, n_staff_changes, usual_staff[rows], day, review_days)
    return lost, turned_away_in_all, due


@njit(cache=True, nogil=True)
def strain_day_end(rows: np.ndarray, disruption: np.ndarray, decay: float,
                   stream: np.ndarray, volunteers: np.ndarray, vstate: np.ndarray,
                   vorg: np.ndarray, vsince: np.ndarray, strain: np.ndarray, rate: float,
                   offer: np.ndarray, committed: np.ndarray, held: np.ndarray, day: int,
                   active: int, idle: int, lapsed: int, open_rows: np.ndarray,
                   staff: np.ndarray, no_staff: float, extra_places: np.ndarray,
                   volunteer_hours: np.ndarray, distanced: np.ndarray,
                   staff_capacity: np.ndarray, usual_staff: np.ndarray,
                   volunteer_share: np.ndarray, per_client: float, loss: float):
    """``strain.step`` after the staff pass in one call, for the running groups ``rows``
    (after any closure there): disruptions fade (:func:`decay_disruption`); trained
    volunteers burn out and every organisation's free hours are written to ``held``
    (:func:`burnout_and_free_hours`, drawing from ``stream``); the positions among the open
    groups ``open_rows`` with no paid staff (``staff <= no_staff``) and no trained
    volunteers, which may close; and the running groups' places and places lost to
    disruption from the hours just set (:func:`group_places`; ``volunteer_hours`` is the
    column ``held`` is the first rows of). Returns (disruptions' positions and values,
    burnout's four results, the positions that may close, places, places lost)."""
    at, values = decay_disruption(rows, disruption, decay)
    could, gone, counts, changed = burnout_and_free_hours(
        stream, volunteers, vstate, vorg, vsince, rows, strain, rate, offer, committed, held,
        day, active, idle, lapsed)
    empty = np.empty(open_rows.shape[0], np.int64)
    k = 0
    for j in range(open_rows.shape[0]):
        r = open_rows[j]
        if staff[r] <= no_staff and counts[r] == 0:
            empty[k] = j
            k += 1
    places, lost = group_places(rows, staff, extra_places, volunteer_hours, disruption,
                                distanced, staff_capacity[rows], usual_staff[rows],
                                volunteer_share[rows], per_client, loss)
    return at, values, could, gone, counts, changed, empty[:k], places, lost


@njit(cache=True, nogil=True)
def rows_with_chance(rows: np.ndarray, codes: np.ndarray, lo: int, hi: int, org: np.ndarray,
                     p_org: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of ``rows``, those whose code is in [lo, hi] and whose organisation's chance
    ``p_org[org[row]]`` is above 0, in the order of ``rows``, and those chances: numpy's
    ``t = rows[(codes[rows] >= lo) & (codes[rows] <= hi)]; c = p_org[org[t]]; t[c > 0],
    c[c > 0]`` (an index -1 reads the last entry, as numpy's) in one pass."""
    out = np.empty_like(rows)
    chance = np.empty(rows.shape[0], p_org.dtype)
    k = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        c = codes[r]
        if c >= lo and c <= hi:
            pr = p_org[org[r]]
            if pr > 0:
                out[k] = r
                chance[k] = pr
                k += 1
    return out[:k].copy(), chance[:k].copy()


@njit(cache=True, nogil=True)
def volunteer_day_counts(codes: np.ndarray, last_task: np.ndarray, n_codes: int, lo: int,
                         hi: int, since: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The daily row's volunteer counts in one pass over the states: ``count_codes(codes,
    n_codes)``, the on-duty ``codes_between(codes, lo, hi)`` (consecutive codes: active or
    idle) and ``np.count_nonzero(last_task[on_duty] > since)`` (tasked within the week).
    One-byte codes are read eight at a time when ``lo`` is 2 or more: codes 0 and 1 (the
    unwilling and latent: most residents) are counted a word at a time, the bytes flagged as
    2 or more one by one."""
    n = codes.shape[0]
    counts = np.zeros(n_codes, np.int64)
    out = np.empty(n + 1, np.int64)
    k = 0
    tasked = 0
    start = 0
    if 2 <= lo <= 127 and n_codes >= 2 and _by_words(codes):
        words = _words(codes)
        plain = 0  # bytes not flagged: codes 0 or 1
        ones = 0
        for j in range(words.shape[0]):
            w = words[j]
            t = _flag_at_least(w, 2)
            if t == 0:
                plain += 8
                ones += int(((w & _ONES) * _ONES) >> uint64(56))
                continue
            low = w & ~((t >> uint64(7)) * uint64(0xFF)) & _ONES  # the 0/1 bytes' values
            plain += 8 - _n_flagged(t)
            ones += int((low * _ONES) >> uint64(56))
            while t != 0:
                k, tasked = _count_volunteer(8 * j + _lowest_flagged(t), codes, last_task, lo,
                                             hi, since, counts, out, k, tasked)
                t &= t - uint64(1)
        counts[0] += plain - ones
        counts[1] += ones
        start = words.shape[0] * 8
    for i in range(start, n):
        k, tasked = _count_volunteer(i, codes, last_task, lo, hi, since, counts, out, k, tasked)
    return counts, out[:k].copy(), tasked


@njit(inline="always")
def _count_volunteer(i: int, codes: np.ndarray, last_task: np.ndarray, lo: int, hi: int,
                     since: int, counts: np.ndarray, out: np.ndarray, k: int, tasked: int
                     ) -> tuple[int, int]:
    """:func:`volunteer_day_counts` for resident ``i``: its state counted, kept as the
    ``k``-th on duty (and tasked within the week) if its state is from ``lo`` to ``hi``."""
    c = codes[i]
    counts[c] += 1
    if c >= lo and c <= hi:
        out[k] = i
        return k + 1, tasked + (last_task[i] > since)
    return k, tasked


@njit(cache=True, nogil=True)
def _flatnonzero_bool(mask: np.ndarray) -> np.ndarray:
    n = mask.shape[0]
    out = np.empty(n + 1, np.int64)
    k = 0
    for i in range(n):  # no branch: every position is written, kept when the mask is set
        out[k] = i
        k += mask[i]
    return out[:k].copy()


def flatnonzero(mask: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(mask)`` (the same int64 positions). For a 1-d bool mask of at least
    16,384 positions with more than 1 in 64 set, a compiled loop without branches: numpy's
    nonzero mispredicts a branch at every set position of such scattered masks over residents
    (about 5x slower at 1 in 12); sparser or shorter masks are numpy's (it skips unset
    stretches; the checks here cost more than they save on a few thousand residents), called
    as ``mask.nonzero()[0]``, without ``np.flatnonzero``'s ravel and dispatch (about 1 us a
    call). Selections known to be dense have their own kernels (``need_and_pathway``,
    ``rows_of_code_at_ranks``)."""
    if mask.ndim != 1 or mask.dtype != np.bool_:
        return np.flatnonzero(mask)
    if mask.size >= 16384 and np.count_nonzero(mask) * 64 > mask.size:
        return _flatnonzero_bool(mask)
    return mask.nonzero()[0]


COMPILED_INTO_OTHERS = (
    "applications_due", "book_in_queue_order", "book_management_hours",
    "burnout_and_free_hours", "carry_work_over", "choose_channels", "consulting_today",
    "continue_first_unfinished", "count_codes", "decay_disruption", "first_within",
    "hand_out_tasks", "inductions_due", "lose_goodwill", "onset_candidates",
    "rows_with_chance", "rows_with_codes_between", "seekers_today", "staff_work_due",
    "start_episodes", "support_due", "support_outcomes", "tasks_done", "unmet_course",
    "update_strain")
"""Public kernels that no Python code of the model calls: each is the step of a larger kernel
that calls it (compiled into that kernel's own code, and loaded with it from numba's cache) or
that kernel's reference version, which the tests call. :func:`_warm_up` leaves them to load
on first use (``tests/test_kernels.py`` checks that nothing in ``sim`` calls them)."""


def _warm_up() -> None:
    """Load (or compile, on first use) every kernel the model calls, for the argument types it
    passes, so a process pays numba's start-up once, at import, not inside the first simulated
    day. The kernels of :data:`COMPILED_INTO_OTHERS` are not loaded: a run never asks for them
    (loading the 20 there were when this was measured took about 0.07 s of every process's
    start-up, a sweep worker's included)."""
    i8 = np.zeros(2, np.int8)
    w = np.zeros((2, 4), np.float32)
    column_means_f32(w)
    count_need_by_pathway(i8, i8, 4, 6)
    i32 = np.zeros(2, np.int32)
    count_fresh_unmet(i8, i8, i32, i32, 1, 0, 2)
    count_fresh_unmet_among(np.zeros(2, np.int64), i8, i8, i32, i32, 1, 0, 2)
    i64z, f64z = np.zeros(2, np.int64), np.zeros(2)
    fresh_shares_and_rise(i64z, i64z + 1, f64z, i64z, 1.0)
    fresh_shares_and_rise(i64z, i64z + 1, f64z, f64z, 1.0)
    pull_and_formation(f64z, True, f64z, 0.1, i64z, f64z)
    members_of(i32, i8, np.zeros(2, np.bool_), 4, 5)
    rows_in_need_and_pathway(np.zeros(2, np.int64), i8, i8, 1, 2)
    residents_day_end(w, np.zeros((3, 4), np.float32), np.zeros(2, np.float32), i8, i8, 2,
                      np.float32(0.1), i32.copy(), 1, 4, 6)
    wellbeing_day(w, np.zeros((3, 4), np.float32), np.zeros(2, np.float32), i8, i8, 2,
                  np.float32(0.1))
    flatnonzero(np.zeros(2, np.bool_))
    org_members(i32, i8, 0, 2, 5)
    f64s, i64s = np.zeros(2), np.zeros(2, np.int64)
    bools = np.zeros(2, np.bool_)
    pay_the_day(i64s, f64s.copy(), f64s.copy(), f64s, f64s, i64s, f64s, f64s, f64s, f64s, 1.0)
    at_risk_of_churn(i64s, bools, i64s, 3)
    units_with_groups(i64s, i64s, bools, i64s, 3, i32, 1)
    keep_waiting_entries(i64s.copy(), i64s.copy(), np.zeros(2, np.int16), 0, 2, i8,
                         np.zeros(2, np.int16), 2)
    groups_tasks_and_hours(i64s, i64s, bools, 1.0, f64s, f64s, i64s, 3, f64s.copy(),
                           f64s.copy())
    closing_today(i64s, bools, i64s, i64s, 1, f64s, 0.1, 0.1, 3)
    group_places(i64s, f64s, f64s, f64s, f64s, bools, f64s, f64s, f64s, 1.0, 0.5)
    open_group_sums(i64s, i64s, i64s, i64s, bools, bools, bools, i64s, f64s, f64s, f64s, i64s,
                    i64s, 1, 2, 3, 1)
    count_by_org(i32, i8, np.full(8, -1, np.int8), 1, 2)
    f32 = np.zeros(2, np.float32)
    i64 = np.zeros(2, np.int64)
    count_by_org(i32, i8, np.full(8, -1, np.int8), 1, 2, i64)
    members_among(i64, i32, 1, i8, 4, 5)
    free_hours_by_org(np.zeros(2, np.int64), True, i8, i32, f32, f32, 4, 5, 2)
    need_and_pathway(i8, i8, 1, 1)
    in_need_without_pathway(np.zeros(1, np.int64), i8, i8)
    ties_with_time(0, np.zeros(3, np.int32), i32, i8, f32, f32, 4, 5, np.float32(1.0))
    f64 = np.zeros(2)
    channel_weights(i64, i32, np.zeros(2, np.bool_), i32, i32, f64, f64, f64, f64, 1.0, 1.0,
                    1.0, 1.0, 1.0, 1.0, 1.0)
    rows_of_code_at_ranks(i8, 0, np.zeros(1, np.int64))
    count_equal(i8, 1)
    member_tie_pairs(np.zeros(1, np.int64), np.zeros(1, np.int64), i32, np.zeros(3, np.int32),
                     i32, 2)
    b = np.zeros(2, np.bool_)
    i16 = np.zeros(2, np.int16)
    # the model passes its streams' handles (uint64); arrays of uniforms are for tests
    gen = np.random.Generator(np.random.PCG64(0))  # referenced while its handle is used
    g32 = stream_handle(gen)
    need_day(g32, f32, np.float32(1.0), g32, g32, np.float32(0.5), np.float32(0.9),
             np.float32(0.2), f64, np.zeros(3), np.zeros(3), 1, 3, 1, i8.copy(), i8.copy(), i32,
             i32.copy(), b.copy(), i32.copy(), b.copy(), b.copy(), i16.copy(), b.copy(),
             i8.copy())
    lapse(i64, i8.copy(), i32.copy(), i32.copy(), i32.copy(), b.copy(), f64.copy(), 7, 1)
    help_seekers_today(g32, i64, i8, i8, 1, 2, 0.1, 0.1, i32, b, i32, i32, f64, f64, f64, f64,
                       1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    consultations_today(g32, i64, i32, f64, 0.1, 0.1)
    chosen_today(g32, i64, 0.1)
    route_seekers((g32, g32, g32, g32), i64, i64, 0,
                  (i8.copy(), i8, i32, i32, b, b.copy(), i16.copy(), b.copy(), i32.copy(),
                   b.copy(), b.copy(), i32.copy(), i32.copy(), b.copy(), i32, i32.copy(),
                   b.copy()),
                  (np.zeros(3, np.int32), i32, i8.copy(), f32, f32.copy(), i32.copy(),
                   i32.copy(), f32.copy()),
                  (f64, np.zeros(3, np.int64), i64, np.zeros(2, np.int64), b.copy(), f64,
                   np.zeros(2, np.int64)),
                  (np.zeros(3, np.int64), i64, b),
                  (i64, b, f64, f64, np.zeros(2, np.int64), i64),
                  (np.zeros(2, np.int64), b, i64, 0, b, f64, f64, f64, f64, f64, f64, f64, f64,
                   f64, f64, f64, f64, 1.0, 0.5, 3.0),
                  (i64, np.zeros(3, np.int64), i64, f64, np.zeros(3, np.int64), i64,
                   np.zeros(3, np.int64), i64),
                  (i64, b, b, b, i64.copy(), i64.copy(), f64.copy()),
                  (np.zeros((2, 4), np.int64), np.zeros((2, 2), np.int64),
                   np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64), i64.copy(),
                   i64.copy(), np.zeros(7, np.int64), i64),
                  np.zeros(len(ROUTE_FLOWS), np.int64), np.zeros(4),
                  ((0, 1, 6, 4, 3, 4, 5, 2, 7), (0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.5),
                   (np.float32(1.0), np.float32(0.1))), 1)
    next_consultation_action(g32, i64, 0, i8, 0, i32, f64, np.zeros(3, np.int64), i64, 0.1,
                             np.zeros(2, np.int64), b.copy())
    complete_support_rows(i64, f64, np.ones(1), i8.copy(), i8.copy(), i32.copy(), b.copy(),
                          b.copy(), np.zeros(2, np.int64), np.zeros(2, np.int64), b, 2, 0.1,
                          0.1, 0.5, 3, 1, 2)
    chosen_in_need_and_pathway(g32, i64, i8, i8, 2, 0, 0.1)
    referred_back_today(g32, i64, b.copy(), i8, i8, 2, 0, 0.1)
    give_up_today(g32, i8.copy(), 1, 0, 0.1, b)
    groups_with_room(i64, np.zeros(2, np.int64), b, np.zeros(2, np.int64), 0, b, f64, f64, f64,
                     f64, f64, f64, f64, f64, f64, f64, f64, f64, 1.0, 0.5, 3.0)
    activate_volunteer(0, i32, i8.copy(), i32.copy(), i32.copy(), i32.copy(), b.copy(),
                       f64.copy(), i32.copy(), 4, 1)
    manage_volunteers_day(i64, i32, i8, i32, b, i32, i32, f64.copy(), i32.copy(),
                          np.full(8, -1, np.int8), i64, b, f64, f64, i64, f64.copy(),
                          f64.copy(), f64.copy(), 0.1, 0.1, 1, 3, 2, 4, 1, 1.0, 1.0, 1.0)
    allocate_tasks_day(g32, i64, i32, i8, b, f32, f32.copy(), i32.copy(), i32.copy(),
                       f32.copy(), f64, np.float32(1.0), np.float32(1.0), 1, np.float32(0.1),
                       7, 4, 5)
    goodwill_day(g32, i64, i8.copy(), i32.copy(), f32.copy(), f64, f64, 0.5, 0.1, 0.1, 0.1,
                 False, 0.1, i32.copy(), i32.copy(), i32.copy(), b.copy(), f64.copy(),
                 b.copy(), 2, 3, 5, 6, 4, 7, 1, 1)
    codes_between(i8, 4, 5)
    strain_day_start(i64, f64.copy(), i64.copy(), f64.copy(), b, i64, f64.copy(), f64, f64,
                     f64, i64, f64, f64, f64, f64 + 1.0, 1.0, 0.5, 1.0, 1.0, 1, 7)
    strain_day_end(i64, f64.copy(), 0.9, g32, i64, i8.copy(), i32, i32.copy(), f64, 0.1, f32,
                   f32, f64.copy(), 1, 4, 5, 6, i64, f64, 1e-6, f64, f64, b, f64, f64, f64,
                   1.0, 0.5)
    volunteer_day_counts(i8, i32, 8, 4, 5, 0)
    symmetric_csr(np.zeros((1, 2), np.int64), 2, i32.copy())
    pairs_of_sorted_keys(pair_keys(np.zeros((1, 2), np.int64), 2), 2)
    symmetric_csr(np.zeros((1, 2), np.int64), 2, i64.copy())
    struggling_order(i64, i64, f64, f64, f64, i64, 0, 3.0, 1, 2)
    index_below(generator_handle(np.random.default_rng(0)), 3)
    drawn = generator_handle(np.random.default_rng(0))
    choice_ranks(drawn, 3, 2)
    permuted(drawn, np.zeros(2, np.int64))
    latent_applicants(g32, i8, 0, 2, 1)


@njit(cache=True, nogil=True)
def _uniforms_through(handle: np.ndarray, n: int) -> np.ndarray:
    """``n`` uniforms drawn through ``handle`` (:func:`_uniform_at`), as float32."""
    out = np.empty(n, np.float32)
    for i in range(n):
        out[i] = _uniform_at(handle, i)
    return out


@njit(cache=True, nogil=True)
def _doubles_through(handle: np.ndarray, n: int) -> np.ndarray:
    """``n`` float64 uniforms drawn through ``handle`` (:func:`_double_from`)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = _double_from(handle)
    return out


def _check_pcg64_inline() -> bool:
    """Whether :func:`_pcg64_next32_ir` draws as this numpy's PCG64 does: twin generators
    from several seeds, each started at an odd position (a half word kept), give the same
    float32 uniforms through an inline handle as ``random(n, dtype=float32)``, and end in the
    same state. Anything else (another layout, another numpy) keeps the call through
    ``next_uint32``."""
    for seed in (0, 1, 20201, 2**63 + 5):
        ours, theirs = (np.random.Generator(np.random.PCG64(seed)) for _ in range(2))
        for g in (ours, theirs):
            g.random(3, dtype=np.float32)
        handle = stream_handle(ours)
        handle[2] = 1  # the in-line step under test
        got = _uniforms_through(handle, 257)
        if not (np.array_equal(got, theirs.random(257, dtype=np.float32))
                and ours.bit_generator.state == theirs.bit_generator.state):
            return False
    return True


@njit(cache=True, nogil=True)
def _skip_then_draw(handle: np.ndarray, k: int, n: int) -> np.ndarray:
    """``n`` float32 uniforms drawn through ``handle`` after skipping ``k``
    (:func:`_skip_uniforms`)."""
    _skip_uniforms(handle, k)
    return _uniforms_through(handle, n)


def _check_pcg64_jumps() -> bool:
    """Whether :func:`_skip_handle`'s jumps leave a PCG64 where drawing would: skips of many
    lengths (those up to :data:`_SKIP_BY_DRAWS` drawn, longer ones jumped; odd and even, from a
    kept half word or none) then draws give the values and the end state of ``random(k + n,
    dtype=float32)``, for several seeds. Otherwise handles carry no jumps and skips draw."""
    for seed in (7, 2**63 + 5):
        for start in (0, 1):
            for k in (0, 1, 9, 10, 17, 64, 65, 1001, 12346, 300001 if start else 0):
                ours, theirs = (np.random.Generator(np.random.PCG64(seed)) for _ in range(2))
                for g in (ours, theirs):
                    g.random(start, dtype=np.float32)
                handle = _stream_handle(ours, jumps=True)
                handle[2] = 1  # the in-line step the jumps go with
                got = _skip_then_draw(handle, k, 5)
                if not (np.array_equal(got, theirs.random(k + 5, dtype=np.float32)[k:])
                        and ours.bit_generator.state == theirs.bit_generator.state):
                    return False
    return True


_PCG64_INLINE = _check_pcg64_inline()
_PCG64_JUMPS = _PCG64_INLINE and _check_pcg64_jumps()
_warm_up()

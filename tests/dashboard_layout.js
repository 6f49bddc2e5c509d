// Layout faults on the dashboard page as it is now (tests/test_dashboard_browser.py runs this
// in the page): panels that overlap each other or the sidebar, buttons that overlap, stick
// out of their panel or have something on top of them, and sideways scrolling.
() => {
  const box = e => e.getBoundingClientRect();
  const shown = e => { const r = box(e); const c = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && c.visibility !== 'hidden' && c.display !== 'none'; };
  const seen = e => {  // the part of e's box not cut off by a scrolling ancestor
    const r = box(e); let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const q = box(a);
      [l, t, rt, b] = [Math.max(l, q.left), Math.max(t, q.top), Math.min(rt, q.right), Math.min(b, q.bottom)];
    }
    return {left: l, top: t, right: rt, bottom: b};
  };
  const overlap = (a, b) => { const p = seen(a), q = seen(b);
    return Math.min(p.right, q.right) - Math.max(p.left, q.left) > 1 &&
           Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 1; };
  const name = e => (e.innerText || e.className || e.tagName).trim().split('\n')[0].slice(0, 50);
  const problems = [];
  const main = document.querySelector('main.solara-content-main') || document.body;
  const drawer = document.querySelector('nav.v-navigation-drawer');
  const top = (root) => [...root.querySelectorAll('.v-card')].filter(
      c => shown(c) && !c.parentElement.closest('.v-card'));
  const cards = top(main), side = drawer ? top(drawer) : [];
  for (const group of [cards, side])
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++)
        if (overlap(group[i], group[j])) problems.push(`panels overlap: ${name(group[i])} / ${name(group[j])}`);
  if (drawer && shown(drawer))
    for (const c of cards) if (overlap(c, drawer)) problems.push(`sidebar covers ${name(c)}`);
  const buttons = [...document.querySelectorAll('button, .v-btn, a.v-btn')].filter(shown);
  for (let i = 0; i < buttons.length; i++)
    for (let j = i + 1; j < buttons.length; j++)
      if (!buttons[i].contains(buttons[j]) && !buttons[j].contains(buttons[i]) && overlap(buttons[i], buttons[j]))
        problems.push(`buttons overlap: ${name(buttons[i])} / ${name(buttons[j])}`);
  for (const b of buttons) {  // inside its panel: not cut off at the panel's edge
    const card = [...cards, ...side].find(c => c.contains(b));
    if (card) { const p = box(card), q = box(b);
      if (q.left < p.left - 1 || q.right > p.right + 1) problems.push(`${name(b)} sticks out of ${name(card)}`); }
  }
  for (const s of [main, drawer]) if (s) for (const e of s.querySelectorAll('div'))
    if (getComputedStyle(e).overflowX !== 'hidden' && e.scrollWidth > e.clientWidth + 1 &&
        ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)) problems.push(`sideways scrolling in ${name(e)}`);
  // nothing on top of a button, in the middle of the screen or at its bottom edge (where
  // Solara's badge floats): not the badge, not the sidebar, not another panel
  for (const where of ['center', 'end']) for (const b of buttons) {
    b.scrollIntoView({block: where, inline: 'nearest'});
    const r = box(b);
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(b.contains(hit) || hit.contains(b))) problems.push(`${name(b)} is covered by ${hit ? name(hit) : 'nothing'}`);
  }
  const badge = [...document.querySelectorAll('div')].filter(
      d => shown(d) && /^This website runs on/.test(d.textContent.trim()));
  return {problems, cards: cards.length, side: side.length, buttons: buttons.length, badge: badge.length};
}

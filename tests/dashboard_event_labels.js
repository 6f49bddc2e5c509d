// The event labels drawn on each outcome chart (tests/test_dashboard_browser.py runs this in the
// page with the event kinds to look for; a text that starts with "day N" counts too): their
// boxes, read from the chart's drawn elements, and the plot's box, in the chart's pixels.
(kinds) => {
  const charts = [];
  for (const el of document.querySelectorAll('.solara-echarts[data-day]')) {
    const chart = el.simChart;
    if (!chart || el.offsetParent === null) continue;
    const g = chart.getModel().getComponent('grid').coordinateSystem.getRect();
    const labels = [];
    const seen = new Set();
    for (const line of chart.getZr().storage.getDisplayList(true)) {
      // a label of several lines is drawn as one span a line: its box is the whole label's
      const d = line.parent && line.parent.type === 'text' ? line.parent : line;
      const text = d.style && d.style.text;
      if (seen.has(d) || typeof text !== 'string') continue;
      if (!/^day \d+(:|$)/.test(text) && !kinds.some(k => text.includes(k))) continue;
      seen.add(d);
      const r = d.getBoundingRect().clone();
      r.applyTransform(d.getComputedTransform());
      labels.push({text, left: r.x, top: r.y, right: r.x + r.width, bottom: r.y + r.height});
    }
    charts.push({title: chart.getOption().title[0].text, width: chart.getWidth(),
                 grid: {left: g.x, top: g.y, right: g.x + g.width, bottom: g.y + g.height},
                 labels});
  }
  return charts;
}

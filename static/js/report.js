// The report pages (templates/dashboard): draw each chart from its JSON block (the strict CSP allows no inline
// script), and sort the overview's table by a click or Enter on a column heading. Without this script the
// pages still show every number in tables, and the headings sort through their links.
(function () {
  "use strict";
  // Okabe–Ito: told apart by readers with any kind of colour blindness. Lines also differ by dash and
  // point shape, bars carry their value as text, so no reading depends on colour alone.
  const OKABE_ITO = {blue: "#0072B2", orange: "#E69F00", vermillion: "#D55E00", green: "#009E73",
                     sky: "#56B4E9", purple: "#CC79A7", black: "#000000", grey: "#5b6673"};
  const FUNNEL_COLOURS = [OKABE_ITO.sky, OKABE_ITO.blue, OKABE_ITO.green, OKABE_ITO.orange, OKABE_ITO.purple];
  const MINUS = "\u2212";
  const phone = () => window.matchMedia("(max-width: 640px)").matches;

  function configure(Chart) {
    const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = phone() ? 14 : 13;
    Chart.defaults.color = "#1c2530";
    Chart.defaults.maintainAspectRatio = false;
    if (reduced) Chart.defaults.animation = false;
  }

  // Every number a chart writes is written the business's way (data.locale, the same setting the server's
  // Babel uses): 1.234 and 25 % in German, 1,234 and 25% in English.
  const count = (value, locale) => value.toLocaleString(locale);
  const percent = (value, locale) => new Intl.NumberFormat(locale, {style: "percent", maximumFractionDigits: 1})
    .format(value / 100);
  const signed = (value, locale) => (value > 0 ? "+" : value < 0 ? MINUS : "") + percent(Math.abs(value), locale);

  function moneyAxis(data) {
    // Whole amounts with the locale's grouping (3.000 $); only millions are shortened (1,2 Mio. $).
    const whole = new Intl.NumberFormat(data.locale, {style: "currency", currency: data.currency,
                                                       maximumFractionDigits: 0});
    const compact = new Intl.NumberFormat(data.locale, {style: "currency", currency: data.currency,
                                                         notation: "compact", maximumFractionDigits: 1});
    return (value) => (Math.abs(value) >= 1e6 ? compact : whole).format(value);
  }

  // Write each bar's own text at its end (outside the bar), so a value never rests on colour or on the axis.
  const barText = {
    id: "barText",
    afterDatasetsDraw(chart, args, options) {
      const texts = options.texts;
      if (!texts) return;
      const {ctx} = chart;
      const meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.font = `600 ${Chart.defaults.font.size}px ${Chart.defaults.font.family}`;
      ctx.fillStyle = "#1c2530";
      ctx.textBaseline = "middle";
      meta.data.forEach((bar, index) => {
        const negative = chart.data.datasets[0].data[index] < 0;
        const width = ctx.measureText(texts[index]).width;
        // Beside the bar's end. A negative bar without room on its left gets its text on the other side of
        // zero; a positive bar without room on its right, inside its end in white.
        ctx.fillStyle = "#1c2530";
        if (negative && bar.x - 6 - width < 0) {
          ctx.textAlign = "left";
          ctx.fillText(texts[index], bar.base + 6, bar.y);
        } else if (!negative && bar.x + 6 + width > chart.width) {
          ctx.fillStyle = "#fff";
          ctx.textAlign = "right";
          ctx.fillText(texts[index], bar.x - 6, bar.y);
        } else {
          ctx.textAlign = negative ? "right" : "left";
          ctx.fillText(texts[index], bar.x + (negative ? -6 : 6), bar.y);
        }
      });
      ctx.restore();
    },
  };

  // A labelled dashed vertical line at one point of the x axis (the attribution window, the payback day).
  const marker = {
    id: "marker",
    afterDatasetsDraw(chart, args, options) {
      if (options.at === null || options.at === undefined) return;
      const x = chart.scales.x.getPixelForValue(options.at);
      const {top, bottom, left, right} = chart.chartArea;
      if (x < left - 1 || x > right + 1) return;
      const {ctx} = chart;
      ctx.save();
      ctx.strokeStyle = OKABE_ITO.black;
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = `600 ${Chart.defaults.font.size}px ${Chart.defaults.font.family}`;
      ctx.fillStyle = OKABE_ITO.black;
      ctx.textBaseline = "top";
      const label = phone() && options.short ? options.short : options.label;
      const width = ctx.measureText(label).width;
      // Right of the line when it fits, else left of it, never past the plot's own edges.
      const start = x + 6 + width <= right ? x + 6 : Math.max(left + 2, x - 6 - width);
      ctx.textAlign = "left";
      ctx.fillStyle = "rgba(255,255,255,.85)";
      ctx.fillRect(start - 2, top + 2, width + 4, Chart.defaults.font.size + 4);
      ctx.fillStyle = OKABE_ITO.black;
      ctx.fillText(label, start, top + 4);
      ctx.restore();
    },
  };

  // Horizontal bars (ROI per campaign, conversion per segment): one row per name, tall enough to read. On a
  // phone each name is written above its bar across the whole width, instead of squeezed beside it.
  function bars(canvas, data, unit) {
    const small = phone();
    canvas.parentElement.style.height = `${Math.max(160, data.labels.length * (small ? 64 : 44) + 70)}px`;
    const colours = data.values.map((value) => (value < 0 ? OKABE_ITO.vermillion : OKABE_ITO.blue));
    // ROI bars read "+35%"; conversion bars "25% (12 of 48)", never a share without its count.
    const texts = data.bar_texts || (data.kind === "roi" ? data.values.map((value) => signed(value, data.locale)) : data.texts);
    return new Chart(canvas, {
      type: "bar",
      data: {labels: data.labels, datasets: [{data: data.values, backgroundColor: colours, borderColor: colours,
                                              borderWidth: 1, maxBarThickness: small ? 20 : 32}]},
      plugins: small ? [barText, namesAbove] : [barText],
      options: {
        indexAxis: "y",
        layout: {padding: {right: small ? 4 : 24, top: small ? 8 : 0}},
        scales: {
          x: {beginAtZero: true, grace: "25%",
              ticks: {maxTicksLimit: small ? 4 : 7,
                      callback: (value) => (data.kind === "roi" ? signed(Math.round(value), data.locale)
                                                                : percent(Math.round(value), data.locale))},
              grid: {color: (context) => (context.tick && context.tick.value === 0 ? OKABE_ITO.black : "#e5e7eb")},
              title: {display: true, text: data.axis || (data.kind === "roi" ? "Return on cost (ROI)" : "Share of redeeming customers who converted")}},
          y: {ticks: {display: !small, autoSkip: false, callback: (value, index) => short(data.labels[index], 32)}},
        },
        plugins: {legend: {display: false}, barText: {texts},
                  tooltip: {callbacks: {title: (items) => data.labels[items[0].dataIndex],
                                        label: (item) => data.texts[item.dataIndex]}}},
      },
    });
  }

  // On a phone: each bar's name above it, from the left edge of the plot.
  const namesAbove = {
    id: "namesAbove",
    afterDatasetsDraw(chart) {
      const {ctx} = chart;
      ctx.save();
      ctx.font = `${Chart.defaults.font.size}px ${Chart.defaults.font.family}`;
      ctx.fillStyle = "#1c2530";
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      chart.getDatasetMeta(0).data.forEach((bar, index) => {
        const room = chart.width - 8;
        ctx.fillText(fit(ctx, chart.data.labels[index], room), 4, bar.y - bar.height / 2 - 3);
      });
      ctx.restore();
    },
  };

  function fit(ctx, text, width) {
    if (ctx.measureText(text).width <= width) return text;
    let end = text.length;
    while (end > 1 && ctx.measureText(text.slice(0, end) + "…").width > width) end -= 1;
    return text.slice(0, end) + "…";
  }

  const short = (text, length) => (text.length > length ? text.slice(0, length - 1) + "…" : text);

  function funnel(canvas, data) {
    const FunnelChart = window.ChartFunnel && window.ChartFunnel.FunnelChart;
    if (!FunnelChart) return bars(canvas, data, "");
    return new FunnelChart(canvas, {
      data: {labels: data.labels, datasets: [{data: data.values, backgroundColor: FUNNEL_COLOURS,
                                              borderColor: "#fff", borderWidth: 1}]},
      plugins: [funnelText],
      options: {
        indexAxis: "y",
        // On a phone the step's name goes inside it with its count, instead of a squeezed axis beside it.
        scales: {y: {display: !phone(), ticks: {callback: (value, index) => short(data.labels[index], 40)},
                     grid: {display: false}, border: {display: false}}},
        plugins: {legend: {display: false},
                  funnelText: {texts: data.values.map((value, index) => (phone() ? `${data.labels[index]}: ` : "") + count(value, data.locale))},
                  tooltip: {callbacks: {label: (item) => data.texts[item.dataIndex]}}},
      },
    });
  }

  // The count in the middle of each funnel step, in a box so it reads on any of the step colours.
  const funnelText = {
    id: "funnelText",
    afterDatasetsDraw(chart, args, options) {
      const {ctx} = chart;
      const meta = chart.getDatasetMeta(0);
      const centre = (chart.chartArea.left + chart.chartArea.right) / 2;
      ctx.save();
      ctx.font = `700 ${Chart.defaults.font.size + (phone() ? -1 : 1)}px ${Chart.defaults.font.family}`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      meta.data.forEach((step, index) => {
        const text = options.texts[index];
        const width = ctx.measureText(text).width + 10;
        ctx.fillStyle = "rgba(255,255,255,.9)";
        ctx.fillRect(centre - width / 2, step.y - 11, width, 22);
        ctx.fillStyle = "#1c2530";
        ctx.fillText(text, centre, step.y);
      });
      ctx.restore();
    },
  };

  function line(dataset, colour, dash, point) {
    return Object.assign({borderColor: colour, backgroundColor: colour, borderWidth: 3, borderDash: dash,
                          pointStyle: point, pointRadius: 0, pointHoverRadius: 5, tension: 0, fill: false}, dataset);
  }

  const legend = {position: "bottom", labels: {usePointStyle: false, boxWidth: 36, boxHeight: 3, padding: 14}};

  function conversion(canvas, data) {
    const points = (values) => data.days.map((day, index) => ({x: day, y: values[index]}));
    return new Chart(canvas, {
      type: "line",
      data: {datasets: [
        line({label: "Bought, counted for this campaign", data: points(data.converted)}, OKABE_ITO.blue, [], "circle"),
        line({label: "Bought at all", data: points(data.bought)}, OKABE_ITO.orange, [8, 5], "triangle"),
      ]},
      plugins: [marker],
      options: {
        interaction: {mode: "index", intersect: false},
        scales: {
          x: {type: "linear", min: 0, max: data.days[data.days.length - 1],
              title: {display: true, text: "Days since redemption"}, ticks: {maxTicksLimit: phone() ? 5 : 10, precision: 0}},
          y: {min: 0, suggestedMax: 10, title: {display: !phone(), text: "Share of redeeming customers"},
              ticks: {maxTicksLimit: phone() ? 5 : 7, callback: (value) => percent(value, data.locale)}},
        },
        plugins: {
          legend,
          marker: {at: data.window, label: `${data.window}-day window`},
          tooltip: {callbacks: {title: (items) => `Day ${items[0].parsed.x}`,
                                label: (item) => `${item.dataset.label}: ${(item.datasetIndex === 0 ? data.converted_texts : data.bought_texts)[item.dataIndex]}`}},
        },
      },
    });
  }

  function profit(canvas, data) {
    const money = moneyAxis(data);
    return new Chart(canvas, {
      type: "line",
      data: {labels: data.labels, datasets: [
        line({label: "Gross profit so far", data: data.profit}, OKABE_ITO.blue, [], "circle"),
        line({label: "Cost so far", data: data.cost}, OKABE_ITO.vermillion, [8, 5], "rect"),
      ]},
      plugins: [marker],
      options: {
        interaction: {mode: "index", intersect: false},
        scales: {
          x: {ticks: {maxTicksLimit: phone() ? 4 : 8, maxRotation: 0}},
          y: {beginAtZero: true, ticks: {maxTicksLimit: phone() ? 5 : 7, callback: (value) => money(value)}},
        },
        plugins: {
          legend,
          marker: {at: data.payback_index, label: data.payback_text || "", short: data.payback_short},
          tooltip: {callbacks: {label: (item) => `${item.dataset.label}: ${(item.datasetIndex === 0 ? data.profit_texts : data.cost_texts)[item.dataIndex]}`}},
        },
      },
    });
  }

  // Feedback scores 0-10: one column per score, coloured by band and told apart by the band's name in the
  // tooltip and the table beside it (never by colour alone); each column carries its count.
  const BAND_COLOURS = {detractor: OKABE_ITO.vermillion, passive: OKABE_ITO.grey, promoter: OKABE_ITO.green};
  const BAND_NAMES = {detractor: "detractor (0-6)", passive: "passive (7-8)", promoter: "promoter (9-10)"};

  const columnText = {
    id: "columnText",
    afterDatasetsDraw(chart, args, options) {
      const {ctx} = chart;
      ctx.save();
      ctx.font = `600 ${Chart.defaults.font.size}px ${Chart.defaults.font.family}`;
      ctx.fillStyle = "#1c2530";
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      chart.getDatasetMeta(0).data.forEach((bar, index) => ctx.fillText(options.texts[index], bar.x, bar.y - 3));
      ctx.restore();
    },
  };

  function scores(canvas, data) {
    const colours = data.bands.map((band) => BAND_COLOURS[band]);
    return new Chart(canvas, {
      type: "bar",
      data: {labels: data.labels, datasets: [{data: data.values, backgroundColor: colours, borderColor: colours}]},
      plugins: [columnText],
      options: {
        layout: {padding: {top: 18}},
        scales: {x: {title: {display: true, text: "How likely to recommend us (0 not at all, 10 extremely)"}},
                 y: {beginAtZero: true, grace: "10%", ticks: {precision: 0},
                     title: {display: true, text: "Answers"}}},
        plugins: {legend: {display: false}, columnText: {texts: data.texts},
                  tooltip: {callbacks: {label: (item) => `${data.texts[item.dataIndex]} answers, ${BAND_NAMES[data.bands[item.dataIndex]]}`}}},
      },
    });
  }

  const DRAW = {roi: (canvas, data) => bars(canvas, data, "%"), segments: (canvas, data) => bars(canvas, data, "%"),
                funnel, conversion, profit, scores};

  function drawCharts() {
    if (!window.Chart) return;
    configure(window.Chart);
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const data = JSON.parse(source.textContent);
      if (DRAW[data.kind]) DRAW[data.kind](canvas, data);
    });
  }

  // ---- Sorting the overview: the headings' links sort in place; the address keeps the order for a reload. ----
  function sortBy(table, link) {
    const header = link.closest("th");
    const column = Array.from(header.parentElement.children).indexOf(header);
    const current = header.getAttribute("aria-sort");
    const direction = current === "descending" ? "ascending" : "descending";
    const body = table.tBodies[0];
    const value = (row) => row.cells[column].dataset.value;
    const rows = Array.from(body.rows);
    const text = link.dataset.sort === "campaign";
    rows.sort((a, b) => {
      const left = value(a), right = value(b);
      if (left === "" || right === "") return (left === "") - (right === "");  // no value: last either way
      const order = text ? left.localeCompare(right) : Number(left) - Number(right);
      return direction === "ascending" ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
    table.querySelectorAll("thead th").forEach((th) => {
      th.removeAttribute("aria-sort");
      const mark = th.querySelector(".sort-mark");
      if (mark) mark.textContent = "";
    });
    header.setAttribute("aria-sort", direction);
    header.querySelector(".sort-mark").textContent = direction === "descending" ? "▼" : "▲";
    const address = new URL(window.location.href);
    address.searchParams.set("sort", link.dataset.sort);
    address.searchParams.set("dir", direction === "descending" ? "desc" : "asc");
    window.history.replaceState(null, "", address);
    const status = document.getElementById("sort-status");
    if (status) status.textContent = `Sorted by ${link.textContent.trim().replace(/[▲▼]/g, "")}, ${direction === "descending" ? "highest" : "lowest"} first.`;
  }

  function sortableTables() {
    document.querySelectorAll("table.sortable").forEach((table) => {
      table.querySelectorAll("thead a.sort-link").forEach((link) => {
        link.addEventListener("click", (event) => {
          event.preventDefault();
          sortBy(table, link);
        });
      });
    });
  }

  drawCharts();
  sortableTables();
})();

"""The statistics pages: the statistics page, the daily/weekly/monthly reports and their Excel
export.

The figures come from `jieban.stats` unchanged: `figures()` for the statistics page,
`build_report()` for a live report and `PublishedReport.data` for a published one, which is
shown as it was stored, whatever happened to the tickets since. Pages and workbooks read the
same row dicts (`Figures.as_row()`), so a page and its export cannot disagree.

- `presenting`: figures rows as cells, rows and tables, with links to the lists behind them
  (the home pages use them too);
- `charts`: chart specs that static/web/charts.js draws;
- `page`: the statistics page;
- `reports`: the reports' list, a report (published or live) and publishing one;
- `workbooks`: a report's Excel workbook.
"""

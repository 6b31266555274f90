package org.cil4j.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cil4j.CilException;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.RunResult;
import org.jfree.chart.JFreeChart;

/**
 * Writes the report of a set of runs: {@code report.html} (self-contained: figures are inline
 * SVG images, no script, no external style), every figure as PNG and SVG under {@code
 * figures/}, and the tables as {@code tables.md}, {@code summary.csv} and {@code phases.csv}.
 *
 * <p>Runs are compared only within a scenario (dataset, setting, class order and phase sizes):
 * runs of different scenarios go to different sections, never into one curve.
 */
public final class Report {
    private Report() {}

    /**
     * What makes two runs' curves comparable.
     *
     * @param dataset dataset name, or the parts of a sequence
     * @param setting multi-class or multi-task
     * @param order class order
     * @param phaseSizes classes per phase
     */
    public record ScenarioKey(String dataset, String setting, List<Integer> order, List<Integer> phaseSizes) {
        static ScenarioKey of(RunResult r) {
            return new ScenarioKey(
                    r.config().data().describe(),
                    r.scenario().setting(),
                    Arrays.stream(r.scenario().order()).boxed().toList(),
                    Arrays.stream(r.scenario().phaseSizes()).boxed().toList());
        }

        /** @return a one-line description */
        public String describe() {
            return dataset + ", " + setting + ", phases of " + phaseSizes + " classes, class order " + order;
        }
    }

    /** One figure of the report. */
    record Figure(String file, String caption, JFreeChart chart) {}

    /**
     * Groups runs by scenario, in the order the runs are given.
     *
     * @param runs the runs
     * @return runs per scenario
     */
    public static Map<ScenarioKey, List<RunDir>> byScenario(List<RunDir> runs) {
        Map<ScenarioKey, List<RunDir>> m = new LinkedHashMap<>();
        runs.forEach(d -> m.computeIfAbsent(ScenarioKey.of(d.result()), k -> new ArrayList<>())
                .add(d));
        return m;
    }

    /**
     * A label per run: its config name, or its folder name when names repeat.
     *
     * @param runs the runs
     * @return labels in the same order
     */
    public static List<String> labels(List<RunDir> runs) {
        Map<String, Integer> count = new HashMap<>();
        runs.forEach(d -> count.merge(d.result().config().name(), 1, Integer::sum));
        List<String> out = new ArrayList<>();
        for (RunDir d : runs) {
            String n = d.result().config().name();
            out.add(count.get(n) > 1 ? d.dir().toAbsolutePath().normalize().getFileName() + " (" + n + ")" : n);
        }
        return out;
    }

    /**
     * Writes the report.
     *
     * @param runs the runs
     * @param out output folder (created)
     * @return the HTML file
     */
    public static Path write(List<RunDir> runs, Path out) {
        return write(runs, out, null);
    }

    /**
     * Writes the report, with a sensitivity section when {@code vary} names a setting.
     *
     * @param runs the runs
     * @param out the output folder
     * @param vary a config key whose value differs between the runs of a scenario, or null
     * @return the HTML page
     */
    public static Path write(List<RunDir> runs, Path out, String vary) {
        if (runs.isEmpty()) {
            throw new CilException("no run to report");
        }
        Path figDir = out.resolve("figures");
        try {
            Files.createDirectories(figDir);
        } catch (IOException e) {
            throw new CilException("cannot create " + figDir + ": " + e.getMessage(), e);
        }
        Map<ScenarioKey, List<RunDir>> groups = byScenario(runs);
        StringBuilder html = new StringBuilder();
        StringBuilder md = new StringBuilder();
        StringBuilder summaryCsv = new StringBuilder(
                "scenario,run,method,folder,complete,phases,primary,avg_incremental,last,forgetting,backward_transfer,"
                        + "avg_incremental_cnn,avg_incremental_task_aware,avg_incremental_nme\n");
        StringBuilder phasesCsv = new StringBuilder(
                "scenario,run,phase,classes_seen,cnn,task_aware,nme,old_classes,new_classes,forgetting,train_seconds,"
                        + "eval_seconds,peak_rss_mb\n");
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cil4j report</title>\n")
                .append(
                        "<style>body{font-family:sans-serif;margin:2em;max-width:1500px}table{border-collapse:collapse;margin:1em 0}")
                .append(
                        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}")
                .append(
                        "figure{display:inline-block;margin:0.5em;vertical-align:top}figcaption{font-size:90%;color:#444}")
                .append("img{width:")
                .append(Charts.WIDTH)
                .append("px;max-width:100%;border:1px solid #eee}")
                .append(".warn{color:#a40}</style>\n</head><body>\n<h1>cil4j report</h1>\n<p>")
                .append(runs.size())
                .append(" run(s), ")
                .append(groups.size())
                .append(" scenario(s).");
        if (groups.size() > 1) {
            html.append(" <span class=\"warn\">The runs use different scenarios; each is shown in its own section, "
                    + "never in one curve.</span>");
        }
        html.append("</p>\n");
        int s = 0;
        for (Map.Entry<ScenarioKey, List<RunDir>> g : groups.entrySet()) {
            s++;
            List<RunDir> rs = g.getValue();
            List<String> labels = labels(rs);
            String id = "s" + s;
            html.append("<section id=\"")
                    .append(id)
                    .append("\">\n<h2>Scenario ")
                    .append(s)
                    .append("</h2>\n<p>")
                    .append(esc(g.getKey().describe()))
                    .append("</p>\n");
            String table = summaryTable(rs, labels);
            String perPhase = phaseTable(rs, labels);
            String cost = costTable(rs, labels);
            String end = endTable(rs, labels);
            Comparison cmp = Comparison.of(rs);
            md.append("## Scenario ")
                    .append(s)
                    .append(": ")
                    .append(g.getKey().describe())
                    .append("\n\n")
                    .append(table)
                    .append('\n')
                    .append(perPhase)
                    .append('\n')
                    .append("### Each phase at the end, against when it was learned\n\n")
                    .append(end)
                    .append('\n')
                    .append("### Wall time and accuracy per phase\n\n")
                    .append(cost)
                    .append('\n')
                    .append("### Mean and spread over seeds and class orders\n\n")
                    .append(cmp.table())
                    .append('\n');
            html.append("<h3>Summary</h3>\n")
                    .append(mdToHtml(table))
                    .append("<h3>Accuracy after each phase (%)</h3>\n")
                    .append(mdToHtml(perPhase))
                    .append("<h3>Each phase at the end, against when it was learned</h3>\n")
                    .append(mdToHtml(end))
                    .append("<h3>Wall time and accuracy per phase</h3>\n")
                    .append(mdToHtml(cost));
            if (cmp.groups().size() < rs.size() || cmp.groups().size() > 1) {
                String[] parts = cmp.table().split("\n\n", 2);
                html.append("<h3>Mean and spread over seeds and class orders</h3>\n")
                        .append(mdToHtml(parts[0] + "\n"))
                        .append("<pre>")
                        .append(esc(parts.length > 1 ? parts[1] : ""))
                        .append("</pre>\n");
            }
            List<Figure> figs = new ArrayList<>();
            if (vary != null && rs.size() > 1) {
                Sensitivity sens = Sensitivity.of(rs, labels, vary);
                md.append("### Against ")
                        .append(vary)
                        .append("\n\n")
                        .append(sens.table())
                        .append('\n');
                html.append("<h3>Against ")
                        .append(esc(vary))
                        .append("</h3>\n")
                        .append(mdToHtml(sens.table().substring(sens.table().indexOf('|'))));
                figs.add(new Figure(
                        id + "-vary",
                        "Old-phase (solid) and new-phase (dashed) accuracy against " + vary,
                        sens.chart()));
            }
            figs.add(new Figure(
                    id + "-accuracy",
                    "Accuracy after each phase (CNN solid; NME dashed)",
                    Charts.accuracy(rs, labels)));
            figs.add(new Figure(
                    id + "-forgetting",
                    "Average forgetting after each phase (percentage points)",
                    Charts.perPhase(
                            "Forgetting after each phase",
                            "forgetting (points)",
                            rs,
                            labels,
                            RunMetrics::forgettingPerPhase)));
            figs.add(new Figure(
                    id + "-old-new",
                    "Accuracy on old classes (solid) and on the phase's new classes (dashed)",
                    Charts.oldVersusNew(rs, labels)));
            for (int i = 0; i < rs.size(); i++) {
                RunResult r = rs.get(i).result();
                String rid = id + "-run" + (i + 1);
                String cls = r.config().model().classifier();
                figs.add(new Figure(
                        rid + "-matrix",
                        labels.get(i) + ": accuracy matrix (" + primaryName(r) + ")",
                        Charts.heatmap(labels.get(i) + ": accuracy matrix", RunMetrics.primary(r))));
                if (!rs.get(i).epochs().isEmpty()) {
                    figs.add(new Figure(
                            rid + "-training",
                            labels.get(i) + ": loss terms per epoch and learning rate (dashed, right axis)",
                            Charts.training(
                                    labels.get(i) + ": training", rs.get(i).epochs())));
                }
                if (r.phases().stream().anyMatch(p -> p.norms() != null)) {
                    figs.add(new Figure(
                            rid + "-norms",
                            labels.get(i) + " (" + cls + " classifier): mean weight norm (solid) "
                                    + "and mean feature norm (dashed, right axis), old vs new classes",
                            Charts.normsPerPhase(labels.get(i) + ": norms, old vs new classes", r)));
                    figs.add(new Figure(
                            rid + "-class-norms",
                            labels.get(i) + " (" + cls + " classifier): weight norm of each class after the last phase",
                            Charts.classWeightNorms(labels.get(i) + ": weight norm per class", r)));
                }
            }
            html.append("<h3>Figures</h3>\n");
            for (Figure f : figs) {
                html.append(figure(f, figDir));
            }
            html.append("</section>\n");
            for (int i = 0; i < rs.size(); i++) {
                csvRows(summaryCsv, phasesCsv, s, labels.get(i), rs.get(i));
            }
        }
        html.append("<p>Tables: <a href=\"tables.md\">tables.md</a>, <a href=\"summary.csv\">summary.csv</a>, ")
                .append(
                        "<a href=\"phases.csv\">phases.csv</a>. Figures as PNG and SVG in <a href=\"figures/\">figures/</a>.</p>\n")
                .append("</body></html>\n");
        Path page = out.resolve("report.html");
        write(page, html.toString());
        write(out.resolve("tables.md"), "# cil4j report\n\n" + md);
        write(out.resolve("summary.csv"), summaryCsv.toString());
        write(out.resolve("phases.csv"), phasesCsv.toString());
        return page;
    }

    private static String figure(Figure f, Path figDir) {
        String svg = Charts.svg(f.chart());
        write(figDir.resolve(f.file() + ".svg"), svg);
        try {
            Files.write(figDir.resolve(f.file() + ".png"), Charts.png(f.chart()));
        } catch (IOException e) {
            throw new CilException("cannot write " + figDir.resolve(f.file() + ".png") + ": " + e.getMessage(), e);
        }
        return "<figure><img alt=\"" + esc(f.caption()) + "\" src=\"data:image/svg+xml;base64,"
                + Base64.getEncoder().encodeToString(svg.getBytes(StandardCharsets.UTF_8)) + "\">\n<figcaption>"
                + esc(f.caption()) + " (<a href=\"figures/" + f.file() + ".png\">PNG</a>, <a href=\"figures/" + f.file()
                + ".svg\">SVG</a>)</figcaption></figure>\n";
    }

    private static String primaryName(RunResult r) {
        return "taskAware".equals(r.summary().primary()) ? "task-aware" : "task-agnostic CNN";
    }

    /**
     * @param rs runs of one scenario
     * @param labels their labels
     * @return the headline numbers, a Markdown table
     */
    static String summaryTable(List<RunDir> rs, List<String> labels) {
        StringBuilder sb = new StringBuilder("""
                | run | method | classifier | phases | avg inc. acc. | last acc. | forgetting | BWT | avg inc. NME |
                |---|---|---|---:|---:|---:|---:|---:|---:|
                """);
        for (int i = 0; i < rs.size(); i++) {
            RunResult r = rs.get(i).result();
            RunResult.Summary s = r.summary();
            sb.append("| ")
                    .append(labels.get(i))
                    .append(" | ")
                    .append(r.config().method().name())
                    .append(" | ")
                    .append(primaryName(r))
                    .append(" | ")
                    .append(r.phases().size())
                    .append(r.complete() ? "" : " of " + r.scenario().phaseSizes().length + " (incomplete)")
                    .append(" | ")
                    .append(f2(s.averageIncremental()))
                    .append(" | ")
                    .append(f2(s.last()))
                    .append(" | ")
                    .append(f2(s.forgetting()))
                    .append(" | ")
                    .append(f2(s.backwardTransfer()))
                    .append(" | ")
                    .append(s.averageIncrementalNme() == null ? "-" : f2(s.averageIncrementalNme()))
                    .append(" |\n");
        }
        return sb.toString();
    }

    /**
     * @param rs runs of one scenario
     * @param labels their labels
     * @return accuracy after each phase, per run and classifier, a Markdown table
     */
    static String phaseTable(List<RunDir> rs, List<String> labels) {
        int n = rs.stream().mapToInt(d -> d.result().phases().size()).max().orElse(0);
        StringBuilder sb = new StringBuilder("| run | classifier |");
        for (int p = 0; p < n; p++) {
            sb.append(" phase ").append(p + 1).append(" |");
        }
        sb.append("\n|---|---|").append("---:|".repeat(n)).append('\n');
        for (int i = 0; i < rs.size(); i++) {
            RunResult r = rs.get(i).result();
            phaseRow(sb, labels.get(i), "CNN", r.cnn(), n);
            phaseRow(sb, labels.get(i), "task-aware", r.taskAware(), n);
            if (r.nme() != null) {
                phaseRow(sb, labels.get(i), "NME", r.nme(), n);
            }
        }
        return sb.toString();
    }

    /**
     * Each phase's accuracy after the last phase next to its accuracy when it was learned, the
     * way the DR paper reads its multi-task tables: mean over the old phases (one value per
     * phase, unweighted), the newest phase, the mean drop since learned, forgetting.
     *
     * @param rs runs of one scenario
     * @param labels their labels
     * @return a Markdown table (the setting's own classifier)
     */
    static String endTable(List<RunDir> rs, List<String> labels) {
        int n = rs.stream().mapToInt(d -> d.result().phases().size()).max().orElse(0);
        StringBuilder sb = new StringBuilder("| run | classifier |");
        for (int p = 0; p < n; p++) {
            sb.append(" phase ").append(p + 1).append(" now (learned) |");
        }
        sb.append(" old phases, mean | newest phase | drop since learned, mean | forgetting |\n|---|---|")
                .append("---:|".repeat(n + 4))
                .append('\n');
        for (int i = 0; i < rs.size(); i++) {
            RunResult r = rs.get(i).result();
            AccuracyMatrix m = RunMetrics.primary(r);
            int last = m.phases() - 1;
            sb.append("| ")
                    .append(labels.get(i))
                    .append(" | ")
                    .append(primaryName(r))
                    .append(" |");
            double old = 0;
            double drop = 0;
            for (int p = 0; p < n; p++) {
                if (p > last) {
                    sb.append(" - |");
                    continue;
                }
                sb.append(' ').append(f2(m.get(last, p)));
                if (p < last) {
                    sb.append(" (").append(f2(m.get(p, p))).append(')');
                    old += m.get(last, p);
                    drop += m.get(p, p) - m.get(last, p);
                }
                sb.append(" |");
            }
            sb.append(' ')
                    .append(last == 0 ? "-" : f2(old / last))
                    .append(" | ")
                    .append(f2(m.get(last, last)))
                    .append(" | ")
                    .append(last == 0 ? "-" : f2(drop / last))
                    .append(" | ")
                    .append(last == 0 ? "-" : f2(m.forgetting()))
                    .append(" |\n");
        }
        return sb.toString();
    }

    /**
     * What each phase cost next to what it gave, so that a faster run that learns less shows.
     *
     * @param rs runs of one scenario
     * @param labels their labels
     * @return per run and phase: training and evaluation seconds, peak resident memory, and the
     *     setting's accuracy (with NME where kept), a Markdown table
     */
    static String costTable(List<RunDir> rs, List<String> labels) {
        StringBuilder sb = new StringBuilder("""
                | run | phase | classes seen | train (s) | eval (s) | peak RSS (MiB) | accuracy | NME |
                |---|---:|---:|---:|---:|---:|---:|---:|
                """);
        for (int i = 0; i < rs.size(); i++) {
            RunResult r = rs.get(i).result();
            double[] acc = RunMetrics.primary(r).perPhaseAccuracy();
            double[] nme = r.nme() == null ? null : r.nme().perPhaseAccuracy();
            double train = 0;
            double eval = 0;
            for (int p = 0; p < r.phases().size(); p++) {
                var ph = r.phases().get(p);
                boolean loaded =
                        p == 0 && r.provenance() != null && r.provenance().base() != null;
                train += ph.trainSeconds();
                eval += ph.evalSeconds();
                sb.append("| ")
                        .append(labels.get(i))
                        .append(" | ")
                        .append(p + 1)
                        .append(" | ")
                        .append(ph.seen())
                        .append(" | ")
                        .append(String.format(java.util.Locale.ROOT, "%.1f", ph.trainSeconds()))
                        .append(loaded ? " (loaded)" : "")
                        .append(" | ")
                        .append(String.format(java.util.Locale.ROOT, "%.1f", ph.evalSeconds()))
                        .append(" | ")
                        .append(ph.peakRssMb() < 0 ? "n/a" : Long.toString(ph.peakRssMb()))
                        .append(" | ")
                        .append(f2(acc[p]))
                        .append(" | ")
                        .append(nme == null || p >= nme.length ? "-" : f2(nme[p]))
                        .append(" |\n");
            }
            sb.append("| ")
                    .append(labels.get(i))
                    .append(" | all | | ")
                    .append(String.format(java.util.Locale.ROOT, "%.1f", train))
                    .append(" | ")
                    .append(String.format(java.util.Locale.ROOT, "%.1f", eval))
                    .append(" | | avg ")
                    .append(f2(r.summary().averageIncremental()))
                    .append(" | ")
                    .append(
                            r.summary().averageIncrementalNme() == null
                                    ? "-"
                                    : "avg " + f2(r.summary().averageIncrementalNme()))
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static void phaseRow(StringBuilder sb, String label, String cls, AccuracyMatrix m, int n) {
        sb.append("| ").append(label).append(" | ").append(cls).append(" |");
        double[] a = m.perPhaseAccuracy();
        for (int p = 0; p < n; p++) {
            sb.append(' ').append(p < a.length ? f2(a[p]) : "-").append(" |");
        }
        sb.append('\n');
    }

    private static void csvRows(StringBuilder summary, StringBuilder phases, int scenario, String label, RunDir d) {
        RunResult r = d.result();
        RunResult.Summary s = r.summary();
        summary.append(scenario)
                .append(',')
                .append(csv(label))
                .append(',')
                .append(csv(r.config().method().name()))
                .append(',')
                .append(csv(d.dir().toString()))
                .append(',')
                .append(r.complete())
                .append(',')
                .append(r.phases().size())
                .append(',')
                .append(s.primary())
                .append(',')
                .append(num(s.averageIncremental()))
                .append(',')
                .append(num(s.last()))
                .append(',')
                .append(num(s.forgetting()))
                .append(',')
                .append(num(s.backwardTransfer()))
                .append(',')
                .append(num(s.averageIncrementalCnn()))
                .append(',')
                .append(num(s.averageIncrementalTaskAware()))
                .append(',')
                .append(s.averageIncrementalNme() == null ? "" : num(s.averageIncrementalNme()))
                .append('\n');
        AccuracyMatrix m = RunMetrics.primary(r);
        double[] cnn = r.cnn().perPhaseAccuracy();
        double[] aware = r.taskAware().perPhaseAccuracy();
        double[] nme = r.nme() == null ? null : r.nme().perPhaseAccuracy();
        double[] old = RunMetrics.oldAccuracy(m);
        double[] nw = RunMetrics.newAccuracy(m);
        double[] fg = RunMetrics.forgettingPerPhase(m);
        for (int p = 0; p < cnn.length; p++) {
            phases.append(scenario)
                    .append(',')
                    .append(csv(label))
                    .append(',')
                    .append(p + 1)
                    .append(',')
                    .append(r.phases().get(p).seen())
                    .append(',')
                    .append(num(cnn[p]))
                    .append(',')
                    .append(num(aware[p]))
                    .append(',')
                    .append(nme == null ? "" : num(nme[p]))
                    .append(',')
                    .append(num(old[p]))
                    .append(',')
                    .append(num(nw[p]))
                    .append(',')
                    .append(num(fg[p]))
                    .append(',')
                    .append(num(r.phases().get(p).trainSeconds()))
                    .append(',')
                    .append(num(r.phases().get(p).evalSeconds()))
                    .append(',')
                    .append(r.phases().get(p).peakRssMb())
                    .append('\n');
        }
    }

    /** Renders the simple Markdown tables written here as an HTML table. */
    static String mdToHtml(String md) {
        StringBuilder sb = new StringBuilder("<table>\n");
        String[] lines = md.strip().split("\n", -1); // stripped: no trailing empty line to drop
        for (int i = 0; i < lines.length; i++) {
            if (i == 1) {
                continue;
            }
            // -1: an empty last cell stays a cell (the tables written here have none: cells are padded)
            String[] cells = lines[i].strip().replaceAll("^\\||\\|$", "").split("\\|", -1);
            String tag = i == 0 ? "th" : "td";
            sb.append("<tr>");
            for (String c : cells) {
                sb.append('<')
                        .append(tag)
                        .append('>')
                        .append(esc(c.strip()))
                        .append("</")
                        .append(tag)
                        .append('>');
            }
            sb.append("</tr>\n");
        }
        return sb.append("</table>\n").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static void write(Path f, String s) {
        try {
            Files.writeString(f, s);
        } catch (IOException e) {
            throw new CilException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }
}

package org.cil4j.cli;

import java.util.List;
import java.util.Locale;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.RunResult;

/** Plain-text (Markdown) tables of results. */
public final class Tables {
    private Tables() {}

    /**
     * One run: accuracy after each phase for each classifier, and the summary.
     *
     * @param r the result
     * @return a Markdown table
     */
    public static String run(RunResult r) {
        StringBuilder sb = new StringBuilder();
        int n = r.phases().size();
        sb.append("| ")
                .append(r.config().name())
                .append(" (")
                .append(r.scenario().setting())
                .append(") |");
        for (int p = 0; p < n; p++) {
            sb.append(" phase ").append(p + 1).append(" |");
        }
        sb.append(" avg inc. | forgetting |\n|---|");
        sb.append("---:|".repeat(n + 2)).append('\n');
        row(sb, "CNN (task-agnostic)", r.cnn());
        row(sb, "task-aware (oracle)", r.taskAware());
        if (r.nme() != null) {
            row(sb, "NME", r.nme());
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String label, AccuracyMatrix m) {
        sb.append("| ").append(label).append(" |");
        for (double v : m.perPhaseAccuracy()) {
            sb.append(String.format(Locale.ROOT, " %.2f |", v));
        }
        sb.append(String.format(Locale.ROOT, " %.2f | %.2f |%n", m.averageIncrementalAccuracy(), m.forgetting()));
    }

    /**
     * Several runs side by side: per-phase accuracy of each run's primary classifier, and in the
     * task-agnostic table a second row with the nearest mean of exemplars for a run that has one
     * (iCaRL's own classifier).
     *
     * @param title table title (first header cell)
     * @param runs the results
     * @param taskAware read task-aware instead of task-agnostic accuracy
     * @return a Markdown table
     */
    public static String compare(String title, List<RunResult> runs, boolean taskAware) {
        StringBuilder sb = new StringBuilder();
        int n = runs.stream().mapToInt(r -> r.phases().size()).max().orElse(0);
        sb.append("| ").append(title).append(" |");
        for (int p = 0; p < n; p++) {
            sb.append(" phase ").append(p + 1).append(" |");
        }
        sb.append(" avg inc. | forgetting |\n|---|")
                .append("---:|".repeat(n + 2))
                .append('\n');
        for (RunResult r : runs) {
            row(sb, r.config().method().name(), taskAware ? r.taskAware() : r.cnn());
            if (!taskAware && r.nme() != null) {
                row(sb, r.config().method().name() + " (NME)", r.nme());
            }
        }
        return sb.toString();
    }
}
